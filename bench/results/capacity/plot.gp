# written by ricochet-bench; run: cd bench/results/capacity && gnuplot plot.gp
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_clients_16.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n16 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms" noenhanced
set logscale x
set xrange [*:17.924]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_clients_16.dat' index 1 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_16.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_clients_16.dat' index 1 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_16.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_clients_32.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n32 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms" noenhanced
set logscale x
set xrange [*:14.462]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_clients_32.dat' index 1 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_32.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_clients_32.dat' index 1 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_32.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_clients_64.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n64 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms" noenhanced
set logscale x
set xrange [*:121.304]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_clients_64.dat' index 1 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_64.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_clients_64.dat' index 1 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_64.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_clients_96.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n96 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms" noenhanced
set logscale x
set xrange [*:4900.33]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_clients_96.dat' index 1 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_96.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_clients_96.dat' index 1 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_clients_96.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_clients_128.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n128 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms" noenhanced
set logscale x
set xrange [*:636.66]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_clients_128.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_clients_128.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1000,560 font ',10'
set output 'p99.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set autoscale xfix
set offsets graph 0.03, graph 0.03, 0, 0
set title "p99 one-way latency\nclients: x axis, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms; median and min-max of 3 runs per point" noenhanced
set xlabel 'clients in the room'
set ylabel 'p99 latency (ms, log)'
set logscale y
set yrange [*:*]
set arrow 1 from graph 0, first 50 to graph 1, first 50 nohead dt 3 lw 1.5 lc rgb '#000000' front
set label 1 '--break-p99 50 ms: a mode past it is not run further' at graph 0.99, first 50 right offset 0,0.7 front noenhanced
plot 'sweep.dat' index 1 using 1:2:5:6 with yerrorlines lw 2 dt 4 pt 11 lc rgb '#7f7f7f' title 'udp', 'sweep.dat' index 0 using 1:2:5:6 with yerrorlines lw 2.5 dt 1 pt 7 lc rgb '#1f77b4' title 'unsequenced'
unset arrow 1
unset label 1
unset logscale y
set output 'delivery.png'
set title "delivered (% of expected)\nclients: x axis, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms; median and min-max of 3 runs per point" noenhanced
set ylabel 'delivered (%)'
set yrange [74:100.5]
set arrow 1 from graph 0, first 99 to graph 1, first 99 nohead dt 3 lw 1.5 lc rgb '#000000' front
set label 1 '--break-delivery 99%: a mode below it is not run further' at graph 0.99, first 99 right offset 0,0.7 front noenhanced
plot 'sweep.dat' index 1 using 1:3:7:8 with yerrorlines lw 2 dt 4 pt 11 lc rgb '#7f7f7f' title 'udp', 'sweep.dat' index 0 using 1:3:7:8 with yerrorlines lw 2.5 dt 1 pt 7 lc rgb '#1f77b4' title 'unsequenced'
unset arrow 1
unset label 1
set autoscale
set offsets 0, 0, 0, 0
