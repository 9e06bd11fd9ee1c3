#!/bin/sh
# docs/tables/tests_map.sh [DIR]: docs/tables/tests.md's table of the test
# binaries (its table "tests"), made from each DIR/test_*.c's opening
# comment (DIR: tests). So the table cannot drift from the tests: a test
# file added, renamed or re-described shows here at the next
# `docs/tables/doctables.sh --update docs/tables/*.md`, and the docs test
# fails until then. The rule a test file follows: its first line opens a
# comment, "/* test_NAME.c: what it checks", and the whole comment is the
# row (whitespace folded): a sentence or two, the details in a comment of
# their own below it. Unit
# tests (test_MODULE) come first, then the end-to-end ones (test_e2e_TOPIC),
# each by name. Run from the top of the tree.
set -eu
dir=${1:-tests}
for kind in unit e2e; do
    if [ $kind = unit ]; then
        files=$(find "$dir" -maxdepth 1 -name 'test_*.c' ! -name 'test_e2e_*' | LC_ALL=C sort)
    else
        files=$(find "$dir" -maxdepth 1 -name 'test_e2e_*.c' | LC_ALL=C sort)
    fi
    [ -n "$files" ] || continue
    # shellcheck disable=SC2086
    awk -v kind=$kind '
        function row(    name, file) {
            file = path; sub(/^.*\//, "", file); name = file; sub(/\.c$/, "", name)
            gsub(/[ \t]+/, " ", text); sub(/^ /, "", text); sub(/ $/, "", text)
            if (index(text, file ":") == 1) text = substr(text, length(file) + 2)
            sub(/^ /, "", text)
            gsub(/\|/, "\\|", text); gsub(/</, "\\<", text)
            print "| `" name "` | " (text == "" ? "(no opening comment)" : text) " |"
        }
        BEGIN {
            if (kind == "unit") {
                print "| binary | what it checks |"; print "|---|---|"
                print "| **unit (one per module, in one process)** | |"
            } else {
                print "| **end to end (the programs over 127.0.0.1)** | |"
            }
        }
        FNR == 1 { if (path != "") row(); path = FILENAME; text = ""; open = /^\/\*/ }
        !open { next }
        { line = $0; done = sub(/\*\/.*$/, "", line)
          sub(/^\/\*\*? ?/, "", line); sub(/^ *\* ?/, "", line)
          text = text " " line
          if (done) open = 0 }
        END { if (path != "") row() }' $files
done
