# written by ricochet-bench; run: cd bench/results/lesson-strip && gnuplot plot.gp
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_run.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n2 clients, 20 Hz, 40 B, loss 2%, delay 40 ms, jitter 0 ms (netsim per hop: loss 1.01%, delay 20 ms, jitter +-0 ms, seed 1)" noenhanced
set logscale x
set xrange [*:846.462]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_run.dat' index 1 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced', 'cdf_run.dat' index 0 using 1:2 with steps lw 2 dt 1 lc rgb '#ff7f0e' title 'tcp'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_run.dat' index 1 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced', 'cdf_run.dat' index 0 using 1:3 with steps lw 2 dt 1 lc rgb '#ff7f0e' title 'tcp'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_run_tcp.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "tcp: each state the second client expected, at its intended send time and one-way latency (0 of 400 lost: crosses at the top)\n2 clients, 20 Hz, 40 B, loss 2%, delay 40 ms, jitter 0 ms (netsim per hop: loss 1.01%, delay 20 ms, jitter +-0 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:19.95]
set yrange [0:157.697]
plot 'timeline_run_tcp.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#ff7f0e' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_run_unsequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "unsequenced: each state the second client expected, at its intended send time and one-way latency (8 of 400 lost: crosses at the top)\n2 clients, 20 Hz, 40 B, loss 2%, delay 40 ms, jitter 0 ms (netsim per hop: loss 1.01%, delay 20 ms, jitter +-0 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:19.95]
set yrange [0:157.697]
plot 'timeline_run_unsequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#1f77b4' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
