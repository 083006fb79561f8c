"""Copy rendering with gendered variants, and a reviewer's pack, against baselines in the same run.

- Asset copy: ``asset_values`` for a campaign for women (each message tries its feminine variant,
  then the neutral one) against the same call for everyone (neutral only, one lookup a message).
- Pack: ``export_pack`` + ``import_pack`` of one locale against the floor of reading and writing
  the same two catalogs with Babel.

    .venv/bin/python bench/copy_bench.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from babel.messages.pofile import read_po, write_po

from campaigns.copy.assets import asset_values
from campaigns.copy.i18n import DOMAINS, locales_dir, po_path
from campaigns.copy.pack import export_pack, import_pack
from intel.models import AdSet, Campaign, Target
from intel.settings import Settings


def best(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Median seconds per call over ``repeat`` rounds of ``number`` calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def main() -> None:
    settings = Settings()
    target = Target(id=2, campaign_id=1, name="Rome", country="IT", lat=41.9, lon=12.5, radius_km=20.0)
    adset = AdSet(id=3, campaign_id=1, target_id=2, locale="fr", age_min=18, age_max=28, budget=1.0)
    women = Campaign(id=1, name="w", author="a", audience={"genders": ["women"]}, budget=1.0)
    everyone = Campaign(id=1, name="e", author="a", audience={"genders": []}, budget=1.0)

    def render(campaign: Campaign) -> Callable[[], object]:
        def go() -> None:
            for family in ("recruitment_fraud", "know_the_signs", "where_to_get_help"):
                asset_values(campaign=campaign, target=target, adset=adset, family=family, settings=settings)

        return go

    for _ in range(50):  # warm the catalog caches and the interpreter
        render(women)()
        render(everyone)()
    # interleaved rounds (the machine is shared: noise hits both alike), the fastest of each
    rounds = [
        (best(render(everyone), repeat=1, number=100), best(render(women), repeat=1, number=100))
        for _ in range(15)
    ]
    neutral = min(n for n, _ in rounds)
    gendered = min(g for _, g in rounds)
    print(f"asset copy, 3 families, neutral (baseline): {neutral * 1e3:.3f} ms")
    print(
        f"asset copy, 3 families, feminine variants:  {gendered * 1e3:.3f} ms  ratio {gendered / neutral:.2f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "locales"
        shutil.copytree(locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))

        def floor() -> None:
            for domain in DOMAINS:
                path = po_path("fr", root=root, domain=domain)
                with path.open("rb") as fh:
                    catalog = read_po(fh)
                with (Path(tmp) / f"floor-{domain}.po").open("wb") as fh:
                    write_po(fh, catalog)

        def pack() -> None:
            files = export_pack("fr", out_dir=Path(tmp) / "pack", root=root)
            for path in files:
                if path.suffix == ".po":
                    import_pack(path, reviewer="Bench", root=root)

        base = best(floor)
        took = best(pack)
        print(f"read + write fr catalogs (baseline):        {base * 1e3:.1f} ms")
        print(f"export + import fr pack (with preview):     {took * 1e3:.1f} ms  ratio {took / base:.1f}")


if __name__ == "__main__":
    main()
