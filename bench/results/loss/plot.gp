# written by ricochet-bench; run: cd bench/results/loss && gnuplot plot.gp
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_loss_0.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_loss_0.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_0.dat' index 1 using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_0.dat' index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_0.dat' index 3 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_loss_0.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_0.dat' index 1 using 1:3 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_0.dat' index 2 using 1:3 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_0.dat' index 3 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_loss_1.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n4 clients, 60 Hz, 40 B, loss 1%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.50%, delay 10 ms, jitter +-5 ms, seed 1)"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_loss_1.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_1.dat' index 1 using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_1.dat' index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_1.dat' index 3 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_loss_1.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_1.dat' index 1 using 1:3 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_1.dat' index 2 using 1:3 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_1.dat' index 3 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_loss_5.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_loss_5.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_5.dat' index 1 using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_5.dat' index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_5.dat' index 3 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_loss_5.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_5.dat' index 1 using 1:3 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_5.dat' index 2 using 1:3 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_5.dat' index 3 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_loss_10.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n4 clients, 60 Hz, 40 B, loss 10%, delay 20 ms, jitter 10 ms (netsim per hop: loss 5.13%, delay 10 ms, jitter +-5 ms, seed 1)"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_loss_10.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_10.dat' index 1 using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_10.dat' index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_10.dat' index 3 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_loss_10.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_10.dat' index 1 using 1:3 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_10.dat' index 2 using 1:3 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_10.dat' index 3 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_loss_20.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n4 clients, 60 Hz, 40 B, loss 20%, delay 20 ms, jitter 10 ms (netsim per hop: loss 10.56%, delay 10 ms, jitter +-5 ms, seed 1)"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_loss_20.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_20.dat' index 1 using 1:2 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_20.dat' index 2 using 1:2 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_20.dat' index 3 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_loss_20.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_loss_20.dat' index 1 using 1:3 with steps lw 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_loss_20.dat' index 2 using 1:3 with steps lw 2 lc rgb '#d62728' title 'reliable', 'cdf_loss_20.dat' index 3 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 900,560 font ',10'
set output 'p99.png'
set title 'p99 one-way latency'
set grid
set key top left
set xlabel 'end-to-end loss (%)'
set ylabel 'p99 latency (ms, log)'
set logscale y
set yrange [*:*]
plot 'sweep.dat' index 0 using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'unsequenced', 'sweep.dat' index 1 using 1:2 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'sequenced', 'sweep.dat' index 2 using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'reliable', 'sweep.dat' index 3 using 1:2 with linespoints lw 2 pt 7 lc rgb '#7f7f7f' title 'udp'
unset logscale y
set output 'delivery.png'
set title 'delivered (% of expected)'
set key bottom left
set ylabel 'delivered (%)'
set yrange [76:100.5]
plot 'sweep.dat' index 0 using 1:3 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'unsequenced', 'sweep.dat' index 1 using 1:3 with linespoints lw 2 pt 7 lc rgb '#2ca02c' title 'sequenced', 'sweep.dat' index 2 using 1:3 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'reliable', 'sweep.dat' index 3 using 1:3 with linespoints lw 2 pt 7 lc rgb '#7f7f7f' title 'udp'
set autoscale
