"""__main__.py: what python3 -m ricochet HOST PORT [ROOM] runs: program.py's
main, which joins, sends ten states with a payload and says so."""
import sys

from .program import main

main(sys.argv)
