# bench/results/reference/loop/summary.jq: the relay before and after one change, side by side:
# for i in 1 2 3; do for b in before after; do jq --arg b $b ". + {build: \$b}" $b.$i.json; done; done | jq -s -r -f summary.jq
def med: sort | .[(length - 1) / 2 | floor];
def span(d): sort | "\(med * pow(10; d) | round / pow(10; d)) (\(.[0] * pow(10; d) | round / pow(10; d))-\(.[-1] * pow(10; d) | round / pow(10; d)))";
def cost(m): .results[] | select(.mode == m) | .relay_us_per_delivery;
(map(select(.build == "before"))) as $b | (map(select(.build == "after"))) as $a
| (["reference", "udp", "unsequenced"][] as $m
   | "\($m): us a delivery, before \([$b[] | cost($m)] | span(3)), after \([$a[] | cost($m)] | span(3)); after / before, round by round \([range(0; $b | length) as $i | ($a[$i] | cost($m)) / ($b[$i] | cost($m))] | span(2))"),
  (["udp", "unsequenced"][] as $m
   | "\($m) over the reference of its run: before \([$b[] | cost($m) / cost("reference")] | span(2))x, after \([$a[] | cost($m) / cost("reference")] | span(2))x")
