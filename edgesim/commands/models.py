"""`edgesim models list|pull [NAME...]`: see and fetch the pinned upstream models."""
from __future__ import annotations

import argparse
import json
from typing import Any

HELP = """\
Every model edgesim uses is an unmodified upstream TensorFlow Lite file, pinned
by URL and sha256.  Models are downloaded on first use into
$XDG_CACHE_HOME/edgesim/models (default ~/.cache/edgesim/models).

Without network: put the .tflite files in a folder and set EDGESIM_MODELS to
it (file names as in 'edgesim models list'), or give an app a file with
'edgesim run APP --model PATH'.
"""

EXAMPLES = """\
examples:
  edgesim models list                 what is pinned, and what is already here
  edgesim models pull                 download every model (verifying sha256)
  edgesim models pull person_detect   just one
  EDGESIM_MODELS=/media/usb/models edgesim models list
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("models", help="list or download the pinned upstream models",
                                   description=HELP, epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    listing = actions.add_parser("list", help="show every model, its size, source and whether it is available",
                                 description="Show every pinned model and where it is available locally "
                                             "(EDGESIM_MODELS folder, cache, or missing).  No network access.")
    listing.add_argument("--json", action="store_true", help="one JSON object per model on stdout")
    listing.set_defaults(func=run_list)
    pull = actions.add_parser("pull", help="download models into the cache (all when no NAME is given)",
                              description="Download models into the cache and verify their sha256.  Models "
                                          "already present (cache or EDGESIM_MODELS) are only verified.")
    pull.add_argument("names", nargs="*", metavar="NAME", help="model names (default: all)")
    pull.set_defaults(func=run_pull)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_list(args: argparse.Namespace) -> int:
    from edgesim.store import ModelStore

    store = ModelStore.from_environment()
    rows = []
    for entry in store.registry.values():
        status = store.status(entry)
        path = (store.models_dir / entry.file_name if status == "EDGESIM_MODELS" and store.models_dir
                else store.cached_path(entry))
        rows.append({"name": entry.name, "bytes": entry.size, "sha256": entry.sha256, "status": status,
                     "path": str(path) if status != "missing" else None, "url": store.url_of(entry),
                     "origin": entry.origin, "c_array": entry.c_array})
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    width = max(len(row["name"]) for row in rows)
    print(f"{'name':<{width}}  {'bytes':>7}  {'status':<14}  source")
    for row in rows:
        source = row["url"] + (f" (C array {row['c_array']})" if row["c_array"] else "")
        print(f"{row['name']:<{width}}  {row['bytes']:>7}  {row['status']:<14}  {source}")
    print(f"\ncache: {store.cache_dir}" + (f"; EDGESIM_MODELS: {store.models_dir}" if store.models_dir else ""))
    return 0


def run_pull(args: argparse.Namespace) -> int:
    from edgesim.errors import StoreError
    from edgesim.store import ModelStore

    store = ModelStore.from_environment()
    names = args.names or list(store.registry)
    for name in names:
        store.entry(name)  # unknown names fail before anything is downloaded
    failures = []
    for name in names:
        try:
            print(f"{name}: {store.resolve(name)}")
        except StoreError as error:
            failures.append(str(error))
    if failures:
        raise StoreError(f"{len(failures)} of {len(names)} model(s) could not be pulled: " + " | ".join(failures))
    return 0
