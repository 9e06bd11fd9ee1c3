# written by ricochet-bench; run: cd bench/results/webrtc/modes && gnuplot plot.gp
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_path-loss_0.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set logscale x
set xrange [*:65.658]
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
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_unsequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "unsequenced: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_unsequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#1f77b4' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_sequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "sequenced: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_sequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#2ca02c' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_reliable.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "reliable: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_reliable.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#d62728' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_udp.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "udp: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_udp.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#7f7f7f' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_webrtc.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_webrtc.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#17becf' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_webrtc-sequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc-sequenced: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_webrtc-sequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#bcbd22' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_0_webrtc-reliable.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc-reliable: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 0%, delay 20 ms, jitter 10 ms (netsim per hop: loss 0.00%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:37.2925]
plot 'timeline_path-loss_0_webrtc-reliable.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#8c564b' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,560 font ',10'
set output 'cdf_path-loss_5.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set multiplot layout 1,2 title "One-way latency of every state sent, from its intended send time (a lost state never arrives)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set logscale x
set xrange [*:639.632]
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
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_unsequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "unsequenced: each state the second client expected, at its intended send time and one-way latency (39 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_unsequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#1f77b4' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_sequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "sequenced: each state the second client expected, at its intended send time and one-way latency (37 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_sequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#2ca02c' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_reliable.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "reliable: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_reliable.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#d62728' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_udp.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "udp: each state the second client expected, at its intended send time and one-way latency (45 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_udp.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#7f7f7f' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_webrtc.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc: each state the second client expected, at its intended send time and one-way latency (31 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_webrtc.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#17becf' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_webrtc-sequenced.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc-sequenced: each state the second client expected, at its intended send time and one-way latency (38 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_webrtc-sequenced.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#bcbd22' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
set autoscale
set terminal pngcairo size 1500,420 font ',10'
set output 'timeline_path-loss_5_webrtc-reliable.png'
set grid
set format x '%g'
set format y '%g'
set key outside right top vertical Left reverse
set title "webrtc-reliable: each state the second client expected, at its intended send time and one-way latency (0 of 720 lost: crosses at the top)\n4 clients, 60 Hz, 40 B, loss 5%, delay 20 ms, jitter 10 ms (netsim per hop: loss 2.53%, delay 10 ms, jitter +-5 ms, seed 1)" noenhanced
set xlabel 'intended send time (s into the window)'
set ylabel 'one-way latency (ms)'
set xrange [0:3.99593]
set yrange [0:160.866]
plot 'timeline_path-loss_5_webrtc-reliable.dat' index 0 using 1:2 with points pt 7 ps 0.5 lc rgb '#8c564b' title 'arrived', '' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' title 'lost'
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
