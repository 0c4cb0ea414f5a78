// activeroute's web UI: polls the trend (Active Route Manager's
// /app/active-routes/scripts/active.js/trend/json) once a second and keeps
// the last hour in the charts. Plain JavaScript, Chart.js from Debian.
'use strict';

const MAX_POINTS = 3600;
const TREND = 'app/active-routes/scripts/active.js/trend/json';
const TOPS = ['top-dst-aspath', 'top-dst-as', 'top-dst-peer-as', 'top-src-as'];
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
	'#7f7f7f', '#bcbd22', '#17becf', '#aec7e8', '#ffbb78'];

const state = { after: 0, times: [], trends: {}, config: null, router: '0.0.0.0', tab: 'traffic',
	polls: 0, errors: 0 };
const charts = {};

// ---- charts ----

function lineChart(id, series, opts) {
	const el = document.getElementById(id);
	if (!el)
		return;
	const o = opts || {};
	charts[id] = {
		series: series,
		chart: new Chart(el, {
			type: 'line',
			data: { labels: [], datasets: series.map((s, i) => ({
				label: s.label, data: [], borderColor: s.color || COLORS[i],
				backgroundColor: s.color || COLORS[i], borderDash: s.dash || [],
				pointRadius: 0, borderWidth: 1.5, fill: false, spanGaps: true })) },
			options: {
				animation: false, responsive: true, maintainAspectRatio: false,
				interaction: { mode: 'index', intersect: false },
				scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
					  y: { beginAtZero: true, max: o.max } },
				plugins: { legend: { labels: { boxWidth: 12 } } },
			},
		}),
	};
}

function stackChart(id) {
	const el = document.getElementById(id);
	charts[id] = {
		stack: id.slice(2),
		chart: new Chart(el, {
			type: 'line',
			data: { labels: [], datasets: [] },
			options: {
				animation: false, responsive: true, maintainAspectRatio: false,
				interaction: { mode: 'index', intersect: false },
				scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { stacked: true, beginAtZero: true } },
				plugins: { legend: { position: 'right', labels: { boxWidth: 12 } } },
			},
		}),
	};
}

function makeCharts() {
	TOPS.forEach((t) => stackChart('c-' + t));
	for (const f of ['4', '6']) {
		const s = f === '4' ? '' : '6';
		lineChart('c-rib' + f, [{ key: 'bgp-nprefixes' + s, label: 'RIB prefixes' }]);
		lineChart('c-ribchg' + f, [{ key: 'bgp-adds', label: 'adds/s' },
			{ key: 'bgp-removes', label: 'removes/s' }]);
		lineChart('c-active' + f, [{ key: 'active-prefixes' + s, label: 'selected' },
			{ key: 'active-coveredprefixes' + s, label: 'covered' }]);
		lineChart('c-hit' + f, [{ key: 'cache-hitrate' + s, label: '% of traffic in the FIB' }], { max: 100 });
		lineChart('c-fib' + f, [{ key: 'cache-prefixes' + s, label: 'FIB routes' }]);
		lineChart('c-miss' + f, [{ key: 'cache-missrate' + s, label: '% misses' }]);
		lineChart('c-cap' + f, [{ key: 'cache-prefixes' + s, label: 'used' },
			{ key: 'capacity' + f, label: 'capacity', color: '#d62728', dash: [6, 4] }]);
	}
	lineChart('c-fibchg4', [{ key: 'cache-prefixes-added', label: 'adds/s' },
		{ key: 'cache-prefixes-removed', label: 'removes/s' }]);
	lineChart('c-host', [{ key: 'cpu_util', label: 'CPU' }, { key: 'mem_util', label: 'memory' },
		{ key: 'disk_util', label: 'disk' }], { max: 100 });
	lineChart('c-load', [{ key: 'load_per_cpu', label: 'load per CPU' }]);
	for (const f of ['4', '6'])
		charts['c-curve' + f] = { chart: new Chart(document.getElementById('c-curve' + f), {
			type: 'scatter',
			data: { datasets: [
				{ label: '% of traffic', data: [], showLine: true, pointRadius: 1.5, borderColor: COLORS[0], borderWidth: 1.5 },
				{ label: 'FIB capacity', data: [], showLine: true, pointRadius: 0, borderColor: '#d62728', borderDash: [6, 4] }] },
			options: { animation: false, responsive: true, maintainAspectRatio: false,
				scales: { x: { type: 'linear', title: { display: true, text: 'prefixes' } },
					  y: { min: 0, max: 100, title: { display: true, text: '%' } } } },
		}) };
}

function label(ms) {
	return new Date(ms).toLocaleTimeString([], { hour12: false });
}

// The value of a trend at point i; capacity4/6 are the configured constants.
function valueAt(key, i) {
	if (key === 'capacity4' || key === 'capacity6')
		return state.config ? state.config.capacity[key === 'capacity4' ? 'ipv4' : 'ipv6'] : null;
	const a = state.trends[key];
	return a ? a[i] : null;
}

function redrawLine(c) {
	const ch = c.chart;
	ch.data.labels = state.times.map(label);
	c.series.forEach((s, k) => {
		ch.data.datasets[k].data = state.times.map((_, i) => valueAt(s.key, i));
	});
	ch.update('none');
}

// Stacked top-N: the keys biggest in the newest point lead; bits per second.
function redrawStack(c) {
	const pts = state.trends[c.stack] || [];
	const ch = c.chart;
	const last = pts.length ? pts[pts.length - 1] : {};
	const total = {};
	pts.forEach((p) => { for (const k in p) total[k] = (total[k] || 0) + p[k]; });
	const keys = Object.keys(total).sort((a, b) => ((last[b] || 0) - (last[a] || 0)) || (total[b] - total[a])).slice(0, 10);
	ch.data.labels = state.times.map(label);
	ch.data.datasets = keys.map((k, i) => ({
		label: k, data: pts.map((p) => (p[k] || 0) * 8), fill: i === 0 ? 'origin' : '-1',
		borderColor: COLORS[i], backgroundColor: COLORS[i] + '99', pointRadius: 0, borderWidth: 1,
	}));
	// say why a chart is empty rather than draw bare axes
	ch.options.plugins.title = { display: keys.length === 0, text: 'no flows from flow-watch (' + c.stack.slice(4) + ')' };
	ch.update('none');
}

function redraw() {
	const tab = document.getElementById(state.tab);
	for (const id in charts) {
		const c = charts[id];
		if (!c.series && !c.stack)
			continue;
		if (!tab.contains(c.chart.canvas))
			continue;       // hidden tabs catch up when shown
		if (c.stack)
			redrawStack(c);
		else
			redrawLine(c);
	}
}

// ---- figures ----

function last(key) {
	const a = state.trends[key];
	for (let i = a ? a.length - 1 : -1; i >= 0; i--)
		if (a[i] !== null && a[i] !== undefined)
			return a[i];
	return null;
}

function show(id, v, pct) {
	const el = document.getElementById(id);
	if (el)
		el.textContent = v === null || v === undefined ? '-' : pct ? v.toFixed(1) + '%' : String(Math.round(v));
}

function figures() {
	for (const s of ['', '6']) {
		for (const k of ['bgp-nprefixes', 'active-prefixes', 'active-coveredprefixes', 'cache-prefixes'])
			show('v-' + k + s, last(k + s));
		show('v-cache-hitrate' + s, last('cache-hitrate' + s), true);
	}
	if (state.config) {
		show('v-capacity4', state.config.capacity.ipv4);
		show('v-capacity6', state.config.capacity.ipv6);
	}
}

// ---- polling ----

function append(t) {
	const n = t.times.length;
	if (!n)
		return;
	state.times.push(...t.times);
	for (const k in t.trends) {
		if (!state.trends[k])
			state.trends[k] = new Array(state.times.length - n).fill(null);
		state.trends[k].push(...t.trends[k]);
	}
	const drop = state.times.length - MAX_POINTS;
	if (drop > 0) {
		state.times.splice(0, drop);
		for (const k in state.trends)
			state.trends[k].splice(0, drop);
	}
	state.after = t.times[n - 1];
}

function status(ok, text) {
	const el = document.getElementById('status');
	el.textContent = text;
	el.className = ok ? '' : 'bad';
}

async function getJSON(url) {
	const r = await fetch(url, { cache: 'no-store' });
	if (!r.ok)
		throw new Error(url + ': ' + r.status);
	return r.json();
}

async function poll() {
	try {
		const j = await getJSON(TREND + '?after=' + state.after);
		append(j.trend);
		state.polls++;
		figures();
		redraw();
		status(true, 'updated ' + label(state.after || Date.now()));
	} catch (e) {
		state.errors++;
		status(false, 'no answer: ' + e.message);
	}
}

function fmtBits(v) {
	const u = ['', 'K', 'M', 'G', 'T'];
	let i = 0;
	for (v *= 8; v >= 1000 && i < u.length - 1; i++)
		v /= 1000;
	return v.toFixed(v < 10 ? 2 : 1) + ' ' + u[i];
}

async function topTable(fam) {
	const tab = fam === 4 ? 'active4' : 'active6';
	if (state.tab !== tab)
		return;
	try {
		const j = await getJSON('bgp/topprefixes' + (fam === 4 ? '' : '6') + '/' + state.router + '/json?maxPrefixes=10');
		const body = document.querySelector('#top' + fam + ' tbody');
		body.replaceChildren(...j.topPrefixes.map((p) => {
			const tr = document.createElement('tr');
			for (const [v, num] of [[p.prefix], [p.aspath], [p.nexthop], [fmtBits(p.value), true], [p.parentprefix || '']]) {
				const td = document.createElement('td');
				td.textContent = v;
				if (num)
					td.className = 'num';
				tr.appendChild(td);
			}
			return tr;
		}));
	} catch (e) {
		// the figures above say the same; the status line reports trouble
	}
}

async function curves() {
	if (state.tab !== 'sizing')
		return;
	for (const fam of [4, 6]) {
		try {
			const j = await getJSON('rank/curve/json?family=' + fam);
			const ch = charts['c-curve' + fam].chart;
			const cap = state.config ? state.config.capacity[fam === 4 ? 'ipv4' : 'ipv6'] : 0;
			ch.data.datasets[0].data = [{ x: 0, y: 0 }].concat(j.curve.map((p) => ({ x: p.n, y: p.percent })));
			ch.data.datasets[1].data = [{ x: cap, y: 0 }, { x: cap, y: 100 }];
			ch.update('none');
		} catch (e) {
			// prefix-rank unreachable: the chart keeps its last curve
		}
	}
}

async function loadConfig() {
	try {
		const c = await getJSON('config/json');
		state.config = c;
		if (c.router)
			state.router = c.router;
		document.getElementById('conffile').textContent = c.file ? 'from ' + c.file : 'no config file: defaults and command line';
		document.querySelector('#config tbody').replaceChildren(...c.keys.map((k) => {
			const tr = document.createElement('tr');
			for (const v of [k.line, k.key, k.value]) {
				const td = document.createElement('td');
				td.textContent = v;
				tr.appendChild(td);
			}
			return tr;
		}));
	} catch (e) {
		status(false, 'no config: ' + e.message);
	}
}

function showTab(name) {
	state.tab = name;
	document.querySelectorAll('#tabs button').forEach((b) => b.classList.toggle('on', b.dataset.tab === name));
	document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('on', t.id === name));
	if (location.hash !== '#' + name)
		history.replaceState(null, '', '#' + name);
	redraw();
	topTable(4);
	topTable(6);
	curves();
}

// What the browser test reads: points held and drawn per chart.
window.activeroute = {
	state: state,
	points: (id) => (charts[id] ? charts[id].chart.data.labels.length || charts[id].chart.data.datasets[0].data.length : -1),
	showTab: showTab,
};

async function start() {
	makeCharts();
	document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
	await loadConfig();
	const h = location.hash.slice(1);
	showTab(document.getElementById(h) && document.getElementById(h).classList.contains('tab') ? h : 'traffic');
	await poll();
	setInterval(poll, 1000);
	setInterval(() => { topTable(4); topTable(6); }, 2000);
	setInterval(curves, 5000);
}

start();
