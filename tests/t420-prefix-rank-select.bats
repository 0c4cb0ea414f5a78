#!/usr/bin/env bats
# prefix-rank: the choice of the active routes - no cache hiding, pruning,
# capacity, minimum prefix length, hysteresis.
load lib/common
load tools/rank-lib

# RIB: a /16 and two more-specifics, one with another next hop; a default.
setup() {
	rank_routes "$T/r.jsonl" 0.0.0.0/0=198.19.0.4 198.18.0.0/16=198.19.0.1 \
		198.18.5.0/24=198.19.0.2 198.18.6.0/24=198.19.0.1
	to_rec "$T/r.jsonl" "$T/r.rec"
	# /16 itself 1 MB/s, 198.18.5/24 1 kB/s, 198.18.6/24 100 kB/s, default 2 MB/s
	rank_flows "$T/f.jsonl" 30 198.18.9.9,1000,10,10 198.18.5.5,100,1,100 \
		198.18.6.6,1000,1,10 10.0.0.1,1000,20,10
	to_rec "$T/f.jsonl" "$T/f.rec"
}

@test "t420 a covering prefix brings its more-specific with another next hop (no hiding)" {
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.0.0/16 198.19.0.1 -
198.18.5.0/24 198.19.0.2 198.18.0.0/16"
	# 198.18.6.0/24 has the /16's next hop: pruned, counted as covered
	[ "$(rank_stat "$T/out.rec" covered4)" = 1 ]
	[ "$(rank_stat "$T/out.rec" closure4)" = 1 ]
	rank_check_fib "$T/r.jsonl" "$T/out.rec" 10 10
}

@test "t421 when the covering prefix and its more-specifics do not fit, it is left out" {
	prefix-rank --replay -m 1 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.6.0/24 198.19.0.1 -"
	rank_check_fib "$T/r.jsonl" "$T/out.rec" 1 10
}

@test "t422 the default route is never selected unless --min-prefix 0" {
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	refute_output --partial "0.0.0.0/0"
	prefix-rank --replay --min-prefix 0 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "0.0.0.0/0 198.19.0.4 -
198.18.0.0/16 198.19.0.1 0.0.0.0/0
198.18.5.0/24 198.19.0.2 198.18.0.0/16"
	rank_check_fib "$T/r.jsonl" "$T/out.rec" 10 10
}

@test "t423 --min-prefix 20 leaves the /16 out: the /24s stand alone" {
	prefix-rank --replay --min-prefix 20 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.6.0/24 198.19.0.1 -
198.18.5.0/24 198.19.0.2 -"
}

@test "t424 --min-value leaves out prefixes below it" {
	prefix-rank --replay --min-value 50000 --min-prefix 20 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.6.0/24 198.19.0.1 -"
}

@test "t425 random RIBs and traffic: capacity, no hiding, pruning, parents (independent checker)" {
	for seed in $(gate_seeds 1 2 3); do
		rank_random_rib "$T/rr.jsonl" "$T/rf.jsonl" "$seed" 300
		to_rec "$T/rr.jsonl" "$T/rr.rec"
		to_rec "$T/rf.jsonl" "$T/rf.rec"
		for cap in 3 20 80; do
			prefix-rank --replay -t 5 -m "$cap" -M "$cap" -r "$T/rr.rec" -f "$T/rf.rec" > "$T/out.rec"
			run rank_check_fib "$T/rr.jsonl" "$T/out.rec" "$cap" "$cap"
			assert_success
			# and never over capacity at any tick
			rec-json -t stats < "$T/out.rec" | jq -e "select(.selected4 > $cap or .selected6 > $cap)" && false
			true
		done
	done
}

@test "t426 hysteresis: two prefixes trading places at the boundary do not churn" {
	# Cap 1; 198.18.1/24 and 198.18.2/24 swap the lead every 4 s by 10%.
	python3 -c '
import json
for i in range(6000):
    t = i * 10000
    hi = (t // 4000000) % 2
    for dst, w in (("198.18.1.1", 11 if hi else 10), ("198.18.2.1", 10 if hi else 11)):
        print(json.dumps({"type":"flow","src":"198.19.255.1","dst":dst,"len":100*w,"rate":10,"ts":t}))
' > "$T/f.jsonl"
	rank_routes "$T/r2.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	to_rec "$T/r2.jsonl" "$T/r2.rec"
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -T 2 -m 1 --hysteresis 0 -r "$T/r2.rec" -f "$T/f.rec" > "$T/h0.rec"
	prefix-rank --replay -T 2 -m 1 --hysteresis 0.5 -r "$T/r2.rec" -f "$T/f.rec" > "$T/h5.rec"
	c0=$(rec-json -t stats < "$T/h0.rec" | jq -s 'map(.churn) | add')
	c5=$(rec-json -t stats < "$T/h5.rec" | jq -s 'map(.churn) | add')
	echo "churn without hysteresis $c0, with 0.5: $c5"
	[ "$c0" -ge 10 ]
	[ "$c5" -le 1 ]
}

@test "t427 --min-samples: when full, one fresh sample does not displace an incumbent" {
	rank_routes "$T/r2.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2
	to_rec "$T/r2.jsonl" "$T/r2.rec"
	# 198.18.1.0/24: 64-byte samples every second (6.4 kB/s, 100 pps);
	# 198.18.2.0/24: one 1500-byte sample at 20.5 s (15 kB/s when it lands)
	python3 -c '
import json
for s in range(22):
    print(json.dumps({"type":"flow","src":"198.19.255.1","dst":"198.18.1.1","len":64,"rate":100,"ts":s*1000000}))
    if s == 20:
        print(json.dumps({"type":"flow","src":"198.19.255.1","dst":"198.18.2.1","len":1500,"rate":100,"ts":20500000}))
' > "$T/f.jsonl"
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -m 1 -r "$T/r2.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -"
	prefix-rank --replay -m 1 --min-samples 0 -r "$T/r2.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.2.0/24 198.19.0.2 -"
}

@test "t428 a covering prefix that needs more-specifics is taken only if it covers more than what it displaces" {
	# /16 (own 10 kB/s) needs 198.18.5.0/24 (5 kB/s, other next hop) with it;
	# two other prefixes carry 9 and 8 kB/s.
	rank_routes "$T/r3.jsonl" 198.18.0.0/16=198.19.0.1 198.18.5.0/24=198.19.0.2 \
		198.19.1.0/24=198.19.0.3 198.19.2.0/24=198.19.0.4
	to_rec "$T/r3.jsonl" "$T/r3.rec"
	rank_flows "$T/f3.jsonl" 30 198.18.9.9,100,1,10 198.19.1.1,90,1,10 198.19.2.1,80,1,10 198.18.5.5,50,1,10
	to_rec "$T/f3.jsonl" "$T/f3.rec"
	# room for 2: the /16 and its /24 (15 kB/s) or the next two (17 kB/s)
	prefix-rank --replay -m 2 -r "$T/r3.rec" -f "$T/f3.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.19.1.0/24 198.19.0.3 -
198.19.2.0/24 198.19.0.4 -"
	# room for 3: the /16 and its /24 and the next one (24 kB/s) beat 22 kB/s
	prefix-rank --replay -m 3 -r "$T/r3.rec" -f "$T/f3.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.0.0/16 198.19.0.1 -
198.18.5.0/24 198.19.0.2 198.18.0.0/16
198.19.1.0/24 198.19.0.3 -"
	rank_check_fib "$T/r3.jsonl" "$T/out.rec" 3 3
}
