#!/usr/bin/env bats
# prefix-rank: traffic rates per prefix, ranking and coverage (replay mode:
# time comes from the flow records, so the figures are exact).
load lib/common
load tools/rank-lib

setup() {
	rank_routes "$T/r.jsonl" 198.18.1.0/24=198.19.0.1 198.18.2.0/24=198.19.0.2 \
		198.18.3.0/24=198.19.0.3 2001:db8:1::/48=2001:db8:ffff::1
	to_rec "$T/r.jsonl" "$T/r.rec"
}

@test "t410 steady rates: expected ranking and values (1 - e^-6 of the true rate)" {
	# true rates: 1,000,000 / 500,000 / 100,000 bytes/s
	rank_flows "$T/f.jsonl" 60 198.18.3.9,1000,10,100 198.18.1.9,1000,10,10 198.18.2.9,500,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -
198.18.2.0/24 198.19.0.2 -
198.18.3.0/24 198.19.0.3 -"
	within "$(rank_value "$T/out.rec" 198.18.1.0/24)" 997521 0.01
	within "$(rank_value "$T/out.rec" 198.18.2.0/24)" 498760 0.01
	within "$(rank_value "$T/out.rec" 198.18.3.0/24)" 99752 0.02
	within "$(rank_stat "$T/out.rec" coverage4)" 100 0.0001
	[ "$(rank_stat "$T/out.rec" selected4)" = 3 ]
	rec-json < "$T/out.rec" | jq -c 'select(.type=="route") | {prefix,nexthop,kBps:(.value/1000|round),pps:(.pps|round)}' | tail -3 > "$T/fib.txt"
	assert_golden t410-steady-fib "$T/fib.txt"
}

@test "t411 coverage with a capacity of 2, and unrouted traffic counts in the total" {
	rank_flows "$T/f.jsonl" 60 198.18.3.9,1000,10,100 198.18.1.9,1000,10,10 198.18.2.9,500,10,10 \
		203.0.113.9,1000,10,100
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -m 2 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	[ "$(rank_stat "$T/out.rec" selected4)" = 2 ]
	# 1.5 of 1.7 MB/s
	within "$(rank_stat "$T/out.rec" coverage4)" 88.235 0.001
	within "$(rank_stat "$T/out.rec" total4)" 1695786 0.01
	[ "$(rank_stat "$T/out.rec" flows)" -gt "$(rank_stat "$T/out.rec" matched)" ]
}

@test "t412 sampled traffic: the estimate is within sampling error of the truth" {
	# 10,000 packets/s of 1000 bytes to 198.18.1.0/24, sampled 1 in 100 at random
	python3 -c '
import json, random
random.seed(4)
t = 0.0
while t < 60:
    t += random.expovariate(100.0)
    print(json.dumps({"type":"flow","src":"198.19.255.1","dst":"198.18.1.7","len":1000,"rate":100,"ts":int(t*1e6)}))
' > "$T/f.jsonl"
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	within "$(rank_value "$T/out.rec" 198.18.1.0/24)" 10000000 0.15
}

@test "t413 the average rises with the time constant: 63% after one tau" {
	rank_flows "$T/f.jsonl" 5 198.18.1.9,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay --time-constant 5 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	within "$(rank_value "$T/out.rec" 198.18.1.0/24)" 632120 0.02
}

@test "t414 decayed by the clock: a prefix that went silent fades out of the selection" {
	python3 -c '
import json
for i in range(6000):
    t = i * 10000
    print(json.dumps({"type":"flow","src":"198.19.255.1","dst":"198.18.2.1","len":100,"rate":1,"ts":t}))
    if t < 10_000_000:
        print(json.dumps({"type":"flow","src":"198.19.255.1","dst":"198.18.1.1","len":1000,"rate":100,"ts":t}))
' > "$T/f.jsonl"
	to_rec "$T/f.jsonl" "$T/f.rec"
	# min-value 1000: 198.18.1.0/24 decays from 10 MB/s by e^-50 after 50 s at tau 1
	prefix-rank --replay -T 1 --min-value 1000 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.2.0/24 198.19.0.2 -"
}

@test "t415 IPv6 traffic is ranked and capped separately (--max-routes6)" {
	rank_flows "$T/f.jsonl" 20 2001:db8:1::5,1000,10,10 198.18.1.9,1000,10,10
	to_rec "$T/f.jsonl" "$T/f.rec"
	prefix-rank --replay -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	run rank_last_fib "$T/out.rec"
	assert_output "198.18.1.0/24 198.19.0.1 -
2001:db8:1::/48 2001:db8:ffff::1 -"
	[ "$(rank_stat "$T/out.rec" selected6)" = 1 ]
	prefix-rank --replay --max-routes6 0 -r "$T/r.rec" -f "$T/f.rec" > "$T/out.rec"
	[ "$(rank_stat "$T/out.rec" selected6)" = 0 ]
	[ "$(rank_stat "$T/out.rec" selected4)" = 1 ]
}
