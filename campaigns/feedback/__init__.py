"""Feedback: insights from the platform, tips from the public, feedback files and outcomes."""
