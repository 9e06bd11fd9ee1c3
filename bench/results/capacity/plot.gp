# written by ricochet-bench; run: cd bench/results/capacity && gnuplot plot.gp
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_16.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n16 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_16.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_16.dat' index 1 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_16.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_16.dat' index 1 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_32.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n32 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_32.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_32.dat' index 1 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_32.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_32.dat' index 1 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_64.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n64 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_64.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_64.dat' index 1 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_64.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_64.dat' index 1 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_96.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n96 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_96.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_96.dat' index 1 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_96.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_96.dat' index 1 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_128.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n128 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_128.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_128.dat' index 1 using 1:2 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_128.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced', 'cdf_clients_128.dat' index 1 using 1:3 with steps lw 2 lc rgb '#7f7f7f' title 'udp'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_192.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n192 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_192.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_192.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 1400,560 font ',10'
set output 'cdf_clients_256.png'
set multiplot layout 1,2 title "One-way latency from the intended send time\n256 clients, 60 Hz, 40 B, loss 0%, delay 0 ms, jitter 0 ms"
set logscale x
set grid
set key bottom right
set xlabel 'latency (ms, log)'
set ylabel 'fraction delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF'
plot 'cdf_clients_256.dat' index 0 using 1:2 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set yrange [*:1]
set key top right
set ylabel 'fraction still undelivered (log)'
set title 'tail: 1 - CDF'
plot 'cdf_clients_256.dat' index 0 using 1:3 with steps lw 2 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set autoscale
set terminal pngcairo size 900,560 font ',10'
set output 'p99.png'
set title 'p99 one-way latency'
set grid
set key top left
set xlabel 'clients in the room'
set ylabel 'p99 latency (ms, log)'
set logscale y
set yrange [*:*]
plot 'sweep.dat' index 0 using 1:2 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'unsequenced', 'sweep.dat' index 1 using 1:2 with linespoints lw 2 pt 7 lc rgb '#7f7f7f' title 'udp'
unset logscale y
set output 'delivery.png'
set title 'delivered (% of expected)'
set key bottom left
set ylabel 'delivered (%)'
set yrange [95:100.5]
plot 'sweep.dat' index 0 using 1:3 with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'unsequenced', 'sweep.dat' index 1 using 1:3 with linespoints lw 2 pt 7 lc rgb '#7f7f7f' title 'udp'
set autoscale
