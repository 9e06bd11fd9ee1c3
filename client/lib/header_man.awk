# header_man.awk: renders client/lib/ricochet.h as the manual page ricochet(3).
# The header is the reference: its first comment becomes DESCRIPTION, every
# later comment a paragraph, every declaration a literal block, and each
# "/* ---- name ---- */" a subsection. Include guards, includes and the
# export macro are left out.
# Usage: awk -v version=1.0.0 -f header_man.awk ricochet.h
function esc(s) {
    gsub(/\\/, "\\e", s)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}
function end_code() {
    if (in_code) {
        print ".fi"
        in_code = 0
    }
}
BEGIN {
    API = "RICOCHET_API "
    PAD = sprintf("%" length(API) "s", "")
    print ".TH RICOCHET 3 \"\" \"ricochet " version "\" \"libricochet\""
    print ".nh"   # no hyphen breaks an identifier in two,
    print ".ad l" # nor stretches the spaces between them
    print ".SH NAME"
    print "ricochet \\- client library of the ricochet game-state relay"
    print ".SH SYNOPSIS"
    print ".nf"
    print ".B #include <ricochet/ricochet.h>"
    print ".PP"
    print "cc game.c $(pkg-config --cflags --libs ricochet)"
    print ".fi"
    print ".SH DESCRIPTION"
    first = 1
}
# One line of the header, rendered.
function render(line,    closing) {
    # A comment at the start of a line: prose.
    if (line ~ /^\/\*/ && !in_comment) {
        end_code()
        in_comment = 1
        sub(/^\/\* ?/, "", line)
        if (first)
            sub(/^ricochet\.h: /, "", line)
        if (line ~ /^---- .* ----/) {
            gsub(/^---- | ----.*$/, "", line)
            print ".SS " esc(line)
            in_comment = 0
            return
        }
        if (!first)
            print ".PP"
        first = 0
    } else if (in_comment) {
        sub(/^ \* ?/, "", line)
    }
    if (in_comment) {
        closing = (line ~ /\*\/ *$/)
        sub(/ *\*\/ *$/, "", line)
        if (line == "")
            print ".PP"
        else
            print esc(line)
        if (closing)
            in_comment = 0
        return
    }
    # What a reader of the page does not need.
    if (line ~ /^#(ifndef|ifdef|if|else|endif|include)/ || line ~ /^#define RICOCHET_(H|API)/ ||
        line ~ /^extern "C"/ || line ~ /^}$/)
        return
    if (line ~ /^[ \t]*$/) {
        end_code()
        return
    }
    if (!in_code) {
        print ".PP"
        print ".nf"
        in_code = 1
    }
    # The export macro goes, and a prototype's continuation lines, aligned
    # after its "(" in the header, move left with it.
    if (cont && substr(line, 1, length(API)) == PAD)
        line = substr(line, length(API) + 1)
    cont = (line ~ /^RICOCHET_API /) || (cont && line !~ /;/)
    if (line ~ /;/)
        cont = 0
    gsub(/RICOCHET_API /, "", line)
    print esc(line)
}
{
    render($0)
}
END {
    end_code()
    print ".SH SEE ALSO"
    print "docs/library.md in the ricochet sources: a guide, the examples and the"
    print "version policy; proto/PROTOCOL.md: the wire."
}
