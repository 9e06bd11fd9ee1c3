# bench/median.awk: the median of the numbers read (the first field of each
# line) with their least and greatest, the figure every benchmark script
# summarizes its runs with:
#   awk -f bench/median.awk               "M (MIN-MAX)", in printf's %g
#   awk -v f=%.1f -v unit=%% -f ...      each in f, unit after M ("%%": a %)
#   awk -v plain=1 -f ...                "M MIN MAX"
# Without numbers: "-".
{ v[NR] = $1 + 0 }
END {
    if (NR == 0) { print "-"; exit }
    if (f == "")
        f = "%g"
    for (i = 2; i <= NR; i++) # insertion sort: a few runs
        for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
            t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
        }
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    if (plain)
        printf f " " f " " f, m, v[1], v[NR]
    else
        printf f unit " (" f "-" f ")", m, v[1], v[NR]
}
