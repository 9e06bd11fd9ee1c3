"""__main__.py: python3 -m ricochet HOST PORT [ROOM] (program.py)."""
import sys

from .program import main

main(sys.argv)
