#!/bin/sh
# docs/tables/files_map.sh: docs/tables/files.md's map of the files (its table
# "files"), made from what each production file says of itself in its
# opening comment: the first sentence after the file's name. So the map
# cannot drift from the files: a file added, moved or re-described shows
# here at the next `docs/tables/doctables.sh --update docs/tables/*.md`, and
# the docs test fails until then. The files are those the layout test holds
# to its rules: .c and .h outside tests/ and build/, the JavaScript of
# client/js/ and lab/lesson/ (their tests aside), the bindings' Python
# and C# (client/python/ricochet/*.py, client/csharp/Ricochet/*.cs; a Python
# module's opening is its docstring), and the Lua scripts (the fleet's, the
# examples', the bench's; their opening a run of -- lines). Run from the
# top of the tree.
set -eu
find . -path ./build -prune -o -path ./tests -prune -o -name node_modules -prune \
    -o -path ./client/js/test -prune -o -name '.?*' -prune -o -type f \
    \( -name '*.c' -o -name '*.h' -o -path './client/js/*.js' -o -path './lab/lesson/*.js' \
       -o -path './client/python/ricochet/*.py' -o -path './client/csharp/Ricochet/*.cs' \
       -o -name '*.lua' \) \
    -print | sed 's|^\./||; s|^\([^/]*\)$|./\1|' |
    # by folder, then by name: a folder's files together above its subfolders'
    awk '{ d = $0; sub(/\/[^\/]*$/, "", d); print d "\t" $0 }' | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2 |
    cut -f2 | sed 's|^\./||' | tr '\n' '\0' |
xargs -0 awk '
    # the first sentence of text: up to a full stop outside brackets that
    # ends it or comes before a space
    function first_sentence(text,    depth, i, c) {
        depth = 0
        for (i = 1; i <= length(text); i++) {
            c = substr(text, i, 1)
            if (c == "(" || c == "[") depth++
            else if ((c == ")" || c == "]") && depth > 0) depth--
            else if (c == "." && depth == 0 && (i == length(text) || substr(text, i + 1, 1) == " "))
                return substr(text, 1, i)
        }
        return text
    }
    # a folder'"'"'s rows are held until the folder ends: a .c that only says
    # "see X.h." shares the row of its header, which says what both hold
    function flush(    i, cell, h) {
        for (i = 1; i <= n; i++) {
            if (files[i] in paired_with) continue
            cell = "`" files[i] "`"
            if (files[i] in pair) cell = cell ", `" pair[files[i]] "`"
            print "| " cell " | " texts[i] " |"
        }
        n = 0; delete pair; delete paired_with; delete present
    }
    function row(    dir, file, name, h) {
        dir = path; sub(/\/[^\/]*$/, "", dir); if (dir == path) dir = "."
        file = substr(path, length(dir) + 2)
        if (dir != last_dir) { flush(); print "| **" dir "/** | |"; last_dir = dir }
        gsub(/[ \t]+/, " ", text); sub(/^ /, "", text)
        if (index(text, file ":") == 1) text = substr(text, length(file) + 2)
        sub(/^ /, "", text)
        text = first_sentence(text)
        gsub(/\|/, "\\|", text); gsub(/\*/, "\\*", text); gsub(/</, "\\<", text)
        files[++n] = file; texts[n] = (text == "" ? "(no opening comment)" : text); present[file] = 1
        h = file; sub(/\.c$/, ".h", h)
        if (file ~ /\.c$/ && text == "see " h ".") { pending[h] = file }
        if (file ~ /\.h$/ && (file in pending)) { pair[file] = pending[file]; paired_with[pending[file]] = 1; delete pending[file] }
    }
    BEGIN { print "| file | what it holds |"; print "|---|---|" }
    FNR == 1 { if (path != "") row(); path = FILENAME; text = ""; js = /^\/\//; open = /^\/\*/
               py = /^"""/; lua = /^--/ }
    !open && !js && !py && !lua { next }
    # a Python module: its docstring, from the opening """ to the closing one
    py { line = $0; if (FNR == 1) sub(/^"""/, "", line)
         done = sub(/""".*$/, "", line); text = text " " line
         if (done) py = 0
         next }
    js { if (!/^\/\//) { js = 0; next } sub(/^\/\/ ?/, ""); text = text " " $0; next }
    lua { if (!/^--/) { lua = 0; next } sub(/^-- ?/, ""); text = text " " $0; next }
    { line = $0; done = sub(/\*\/.*$/, "", line)
      sub(/^\/\*\*? ?/, "", line); sub(/^ *\* ?/, "", line)
      text = text " " line
      if (done) open = 0 }
    END { if (path != "") row(); flush() }'
