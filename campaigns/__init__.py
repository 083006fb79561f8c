"""Campaigns, by stage: plan, policy, copy, delivery and feedback (see each sub-package)."""
