# written by ricochet-bench; run: cd bench/results/webrtc/modes && gnuplot plot.gp
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_path-loss_0.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set logscale x
set xrange [*:66.35]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_path-loss_0.dat' index 6 using 1:2 with steps lw 2 dt 3 lc rgb '#8c564b' title 'webrtc-reliable', 'cdf_path-loss_0.dat' index 5 using 1:2 with steps lw 2 dt 5 lc rgb '#bcbd22' title 'webrtc-sequenced', 'cdf_path-loss_0.dat' index 4 using 1:2 with steps lw 2 dt 3 lc rgb '#17becf' title 'webrtc', 'cdf_path-loss_0.dat' index 3 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_path-loss_0.dat' index 2 using 1:2 with steps lw 2 dt 1 lc rgb '#d62728' title 'reliable', 'cdf_path-loss_0.dat' index 1 using 1:2 with steps lw 2 dt 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_path-loss_0.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_path-loss_0.dat' index 6 using 1:3 with steps lw 2 dt 3 lc rgb '#8c564b' title 'webrtc-reliable', 'cdf_path-loss_0.dat' index 5 using 1:3 with steps lw 2 dt 5 lc rgb '#bcbd22' title 'webrtc-sequenced', 'cdf_path-loss_0.dat' index 4 using 1:3 with steps lw 2 dt 3 lc rgb '#17becf' title 'webrtc', 'cdf_path-loss_0.dat' index 3 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_path-loss_0.dat' index 2 using 1:3 with steps lw 2 dt 1 lc rgb '#d62728' title 'reliable', 'cdf_path-loss_0.dat' index 1 using 1:3 with steps lw 2 dt 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_path-loss_0.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
unset multiplot
unset logscale
set format y '%g'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_path-loss_5.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set logscale x
set xrange [*:1089.45]
set xlabel 'latency (ms, log)'
set ylabel 'fraction of sent states delivered by then'
set yrange [0:1]
unset logscale y
set title 'CDF (ends at the delivery %)'
plot 'cdf_path-loss_5.dat' index 6 using 1:2 with steps lw 2 dt 3 lc rgb '#8c564b' title 'webrtc-reliable', 'cdf_path-loss_5.dat' index 5 using 1:2 with steps lw 2 dt 5 lc rgb '#bcbd22' title 'webrtc-sequenced', 'cdf_path-loss_5.dat' index 4 using 1:2 with steps lw 2 dt 3 lc rgb '#17becf' title 'webrtc', 'cdf_path-loss_5.dat' index 3 using 1:2 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_path-loss_5.dat' index 2 using 1:2 with steps lw 2 dt 1 lc rgb '#d62728' title 'reliable', 'cdf_path-loss_5.dat' index 1 using 1:2 with steps lw 2 dt 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_path-loss_5.dat' index 0 using 1:2 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
set logscale y
set format y '10^{%T}'
set yrange [*:1]
set ylabel 'fraction of sent states not delivered by then (log)'
set title 'tail: 1 - CDF (ends at the loss)'
plot 'cdf_path-loss_5.dat' index 6 using 1:3 with steps lw 2 dt 3 lc rgb '#8c564b' title 'webrtc-reliable', 'cdf_path-loss_5.dat' index 5 using 1:3 with steps lw 2 dt 5 lc rgb '#bcbd22' title 'webrtc-sequenced', 'cdf_path-loss_5.dat' index 4 using 1:3 with steps lw 2 dt 3 lc rgb '#17becf' title 'webrtc', 'cdf_path-loss_5.dat' index 3 using 1:3 with steps lw 2 dt 4 lc rgb '#7f7f7f' title 'udp', 'cdf_path-loss_5.dat' index 2 using 1:3 with steps lw 2 dt 1 lc rgb '#d62728' title 'reliable', 'cdf_path-loss_5.dat' index 1 using 1:3 with steps lw 2 dt 2 lc rgb '#2ca02c' title 'sequenced', 'cdf_path-loss_5.dat' index 0 using 1:3 with steps lw 2.5 dt 1 lc rgb '#1f77b4' title 'unsequenced'
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
set title "p99 one-way latency\n4 clients, 60 Hz, 40 B, path-loss: x axis, delay 20 ms, jitter 10 ms; median and min-max of 3 runs per point" noenhanced
set xlabel 'end-to-end loss (%)'
set ylabel 'p99 latency (ms, log)'
set logscale y
set yrange [*:*]
plot 'sweep.dat' index 6 using 1:2:5:6 with yerrorlines lw 2 dt 3 pt 8 lc rgb '#8c564b' title 'webrtc-reliable', 'sweep.dat' index 5 using 1:2:5:6 with yerrorlines lw 2 dt 5 pt 4 lc rgb '#bcbd22' title 'webrtc-sequenced', 'sweep.dat' index 4 using 1:2:5:6 with yerrorlines lw 2 dt 3 pt 13 lc rgb '#17becf' title 'webrtc', 'sweep.dat' index 3 using 1:2:5:6 with yerrorlines lw 2 dt 4 pt 11 lc rgb '#7f7f7f' title 'udp', 'sweep.dat' index 2 using 1:2:5:6 with yerrorlines lw 2 dt 1 pt 9 lc rgb '#d62728' title 'reliable', 'sweep.dat' index 1 using 1:2:5:6 with yerrorlines lw 2 dt 2 pt 5 lc rgb '#2ca02c' title 'sequenced', 'sweep.dat' index 0 using 1:2:5:6 with yerrorlines lw 2.5 dt 1 pt 7 lc rgb '#1f77b4' title 'unsequenced'
unset arrow 1
unset label 1
unset logscale y
set output 'delivery.png'
set title "delivered (% of expected)\n4 clients, 60 Hz, 40 B, path-loss: x axis, delay 20 ms, jitter 10 ms; median and min-max of 3 runs per point" noenhanced
set ylabel 'delivered (%)'
set yrange [91:100.5]
plot 'sweep.dat' index 6 using 1:3:7:8 with yerrorlines lw 2 dt 3 pt 8 lc rgb '#8c564b' title 'webrtc-reliable', 'sweep.dat' index 5 using 1:3:7:8 with yerrorlines lw 2 dt 5 pt 4 lc rgb '#bcbd22' title 'webrtc-sequenced', 'sweep.dat' index 4 using 1:3:7:8 with yerrorlines lw 2 dt 3 pt 13 lc rgb '#17becf' title 'webrtc', 'sweep.dat' index 3 using 1:3:7:8 with yerrorlines lw 2 dt 4 pt 11 lc rgb '#7f7f7f' title 'udp', 'sweep.dat' index 2 using 1:3:7:8 with yerrorlines lw 2 dt 1 pt 9 lc rgb '#d62728' title 'reliable', 'sweep.dat' index 1 using 1:3:7:8 with yerrorlines lw 2 dt 2 pt 5 lc rgb '#2ca02c' title 'sequenced', 'sweep.dat' index 0 using 1:3:7:8 with yerrorlines lw 2.5 dt 1 pt 7 lc rgb '#1f77b4' title 'unsequenced'
unset arrow 1
unset label 1
set autoscale
set offsets 0, 0, 0, 0
