"""Sitrep's entry point: `python build.py --help` lists the commands."""

from sitrep.cli import main

if __name__ == "__main__":
    main()
