#!/usr/bin/env node
// e2e/steering.js: real players in Debian's chromium follow ngx_steering's
// Content Steering manifest to another cache because the manifest changed:
// hls.js (HLS EXT-X-CONTENT-STEERING) and dash.js (MPD ContentSteering).
//
//   node e2e/steering.js [hls] [dash]     both cases by default
//
// One nginx (e2e/steering.conf) serves the title from an origin
// (127.0.0.1), from two "caches" on other loopback addresses on the same
// port (cache-a on 127.0.0.2, cache-b on 127.0.0.3) and runs the steering
// server; every server keeps answering 200 throughout.  The steering
// manifest ranks cache-a, cache-b, origin.  Each case:
//
//   1. the player plays; it reports Pathway cache-a and cache-a's access
//      log shows media segments
//   2. cache-a is marked unhealthy through the steering state API, and
//      the served steering manifest no longer ranks it first
//   3. the player reloads the steering manifest (the steering server's
//      log and the player's own event show it), reports Pathway cache-b
//      after that load, and plays on 8 s of media with frames decoded
//   4. after the move: the player started no request to cache-a, cache-a
//      served no segment, cache-b served at least 2; the player saw no
//      error at all (a network error would be another reason to move),
//      and cache-a still answers 200
//
// Both players buffer at most 4 s ahead here, so they keep fetching.
// dash.js builds a cloned Pathway's BaseURL from the scheme and host only
// (ContentSteeringController: `${host}${referenceUrl.pathname}`), so its
// case runs on the default port, E2E_STEERING_DASH_PORT (80).  A case is
// retried once only when its player did not start in time (browser timing
// on a loaded machine); the retry is printed and counted in the summary.
//
// Environment: E2E_STEERING_PORT (8094; the steering server listens on
// the next port), E2E_STEERING_DASH_PORT (80), E2E_MEDIA (build/media;
// the 60 s demo title is best), E2E_TITLE (demo), NGINX, CHROMIUM,
// CASE_TIMEOUT seconds (60).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {
    ROOT, sleep, portOpen, startNginx, stopNginx, checkPlayers, playwright,
    launchChromium, waitFor, watchPage, setCacheHealth, runWithRetry,
    expected,
} = require('./lib');

const PORT = parseInt(process.env.E2E_STEERING_PORT || '8094', 10);
const STEER_PORT = PORT + 1;
const DASH_PORT = parseInt(process.env.E2E_STEERING_DASH_PORT || '80', 10);
const CASE_TIMEOUT = 1000 * parseInt(process.env.CASE_TIMEOUT || '60', 10);
const TITLE = process.env.E2E_TITLE || 'demo';
const PREFIX = path.join(ROOT, 'build', 'e2e-steering');
const MEDIA = path.resolve(process.env.E2E_MEDIA
                           || path.join(ROOT, 'build', 'media'));
const STEER = `http://127.0.0.1:${STEER_PORT}`;
const HOSTS = { 'cache-a': '127.0.0.2', 'cache-b': '127.0.0.3',
                origin: '127.0.0.1' };

// allowed: the non-fatal player errors a case expects.  hls.js aborts
// the segment it is loading from the Pathway it leaves and reports it
// as a non-fatal "networkError aborted"; with 4 s of buffer on a loaded
// machine its buffer can run dry for a moment ("mediaError
// bufferStalledError"; playback must still reach every time the case
// waits for).  At the start hls.js may also skip the small hole before
// segment 1's first frame ("mediaError bufferSeekOverHole", as e2e/play.js
// and e2e/codecs.js allow; seen in CI on 2026-12-07 after an aborted
// load).  They are counted in the PASS line; any other error fails.
const CASES = {
    hls: { engine: 'hls', port: PORT, src: `/vod/${TITLE}/master.m3u8`,
           steer: `/steer/${TITLE}/hls`,
           allowed: [/^networkError aborted /,
                     /^mediaError bufferStalledError$/,
                     /^mediaError bufferSeekOverHole(?: \S+-1\.m4s)?$/] },
    dash: { engine: 'dash', port: DASH_PORT,
            src: `/vod/${TITLE}/manifest.mpd`, steer: `/steer/${TITLE}/dash`,
            allowed: [] },
};

function readLog(name) {
    try {
        return fs.readFileSync(path.join(PREFIX, 'logs', name + '.log'),
                               'utf8').split('\n');
    } catch (e) {
        return [];
    }
}

// media segments one server answered with 200, from its access log
function segments(name) {
    return readLog(name).filter((l) =>
        /"GET \/vod\/\S+\.(m4s|ts) HTTP\/[\d.]+" 200$/.test(l)).length;
}

// steering manifests the steering server answered with 200
function steeringLoads(uri) {
    const re = new RegExp(`"GET ${uri}(\\?\\S*)? HTTP/[\\d.]+" 200$`);
    return readLog('steering').filter((l) => re.test(l)).length;
}

async function start() {
    for (const so of ['ngx_vod_package_module.so',
                      'ngx_steering_module.so']) {
        if (!fs.existsSync(path.join(ROOT, 'modules', so))) {
            throw new Error(`modules/${so} does not exist (run make)`);
        }
    }
    if (!fs.existsSync(path.join(MEDIA, TITLE))) {
        throw new Error(`no title ${MEDIA}/${TITLE} (run make fixtures)`);
    }
    checkPlayers();

    fs.rmSync(PREFIX, { recursive: true, force: true });
    fs.mkdirSync(PREFIX, { recursive: true });
    fs.writeFileSync(path.join(PREFIX, 'fleet.json'), JSON.stringify({
        caches: [
            { id: 'cache-a', url: `http://${HOSTS['cache-a']}:${PORT}`,
              tier: 'ixp', capacity_gbps: 100 },
            { id: 'cache-b', url: `http://${HOSTS['cache-b']}:${PORT}`,
              tier: 'ixp', capacity_gbps: 50 },
            { id: 'origin', url: `http://${HOSTS.origin}:${PORT}`,
              tier: 'origin' },
        ],
    }, null, 1));

    const tpl = fs.readFileSync(path.join(ROOT, 'e2e', 'steering.conf'),
                                'utf8');
    const conf = tpl.replace(/@PREFIX@/g, PREFIX)
        .replace(/@ROOT@/g, ROOT)
        .replace(/@MEDIA@/g, MEDIA)
        .replace(/@STEER_PORT@/g, String(STEER_PORT))
        .replace(/@DASH_PORT@/g, String(DASH_PORT))
        .replace(/@PORT@/g, String(PORT));

    // a server already on the DASH case's port (a packaged nginx's default
    // site on 80) would make ours fail to start with no clear reason
    if (await portOpen(DASH_PORT, '127.0.0.2')) {
        throw new Error(`port ${DASH_PORT} is taken on 127.0.0.2 (the `
                        + 'packaged nginx\'s default site? stop it): '
                        + 'dash.js drops a clone\'s port, so the DASH case '
                        + 'needs it (E2E_STEERING_DASH_PORT)');
    }

    return startNginx(PREFIX, conf, PORT);
}

// the Pathway order the steering server serves now
async function priority(c) {
    const res = await fetch(STEER + c.steer);
    if (res.status !== 200) {
        throw new Error(`GET ${c.steer} answered ${res.status}`);
    }
    const m = await res.json();
    if (!Array.isArray(m['PATHWAY-PRIORITY'])) {
        throw new Error(`${c.steer} has no PATHWAY-PRIORITY`);
    }
    return m['PATHWAY-PRIORITY'];
}

// the manifest the player loads must point it at the steering server
async function checkManifest(c) {
    const base = `http://127.0.0.1:${c.port}`;
    const text = await (await fetch(base + c.src)).text();
    const want = c.engine === 'hls'
        ? `#EXT-X-CONTENT-STEERING:SERVER-URI="${STEER}${c.steer}"`
        : `>${STEER}${c.steer}</ContentSteering>`;
    if (!text.includes(want)) {
        throw new Error(`${c.src} does not name the steering server `
                        + `(${want})`);
    }
    if (c.engine === 'dash'
        && !text.includes('<BaseURL serviceLocation="origin">')) {
        throw new Error(`${c.src} has no BaseURL of serviceLocation origin`);
    }
}

function last(list) {
    return list.length ? list[list.length - 1] : null;
}

// one player through the whole case; throws what failed
async function steerCase(page, c, t0, deadline) {
    await checkManifest(c);
    const before = await priority(c);
    if (before[0] !== 'cache-a') {
        throw new Error(`the steering manifest ranks ${before.join(',')} `
                        + 'before the update; expected cache-a first');
    }

    const url = `http://127.0.0.1:${c.port}/player/?engine=${c.engine}`
                + `&buffer=4&src=${encodeURIComponent(c.src)}`;
    await page.goto(url, { timeout: CASE_TIMEOUT });
    let st;
    try {
        st = await waitFor(page, (s) => s.t > 1 && s.frames > 0, deadline,
                           'start', c.allowed);
    } catch (e) {
        e.retryable = e.timeout;
        throw e;
    }
    st = await waitFor(page, (s) => {
        const p = last(s.pathways);
        return p && p.id === 'cache-a' && segments('cache-a') >= 2;
    }, deadline, 'Pathway cache-a with 2 segments from it', c.allowed);
    const aBefore = segments('cache-a');

    // cache-a is marked unhealthy for steering; its server serves on
    const loads = steeringLoads(c.steer);
    const bPut = segments('cache-b');
    const put = st.now;
    await setCacheHealth(STEER, 'cache-a', false);
    const after = await priority(c);
    if (after[0] !== 'cache-b' || after.includes('cache-a')
        && after.indexOf('cache-a') < after.indexOf('cache-b')) {
        throw new Error(`the steering manifest ranks ${after.join(',')} `
                        + 'after cache-a was marked unhealthy');
    }

    st = await waitFor(page, (s) => last(s.pathways).id === 'cache-b',
                       deadline, 'the player to report Pathway cache-b',
                       c.allowed);
    const moved = last(st.pathways).at;
    const cause = st.steering.filter((m) => m.at > put && m.at <= moved
                                      && m.priority[0] === 'cache-b');
    if (cause.length === 0) {
        throw new Error('the player moved to cache-b without loading a '
                        + 'steering manifest that ranks it first; loads: '
                        + JSON.stringify(st.steering));
    }
    if (steeringLoads(c.steer) <= loads) {
        throw new Error('the steering server logged no manifest load '
                        + 'after the update');
    }
    const from = st.t;
    const frames = st.frames;

    // 2 s for requests in flight when the player moved to finish
    await sleep(2000);
    const aSettled = segments('cache-a');
    st = await waitFor(page, (s) => s.t >= from + 8, deadline,
                       `play on from t=${from.toFixed(2)}`, c.allowed);
    if (st.frames <= frames) {
        throw new Error(`no frame decoded after the move (${st.frames})`);
    }
    const fromB = st.frags.filter((f) => f.at > moved
                                  && f.host === HOSTS['cache-b']);
    const fromA = st.frags.filter((f) => f.at > moved
                                  && f.host === HOSTS['cache-a']);
    if (fromA.length) {
        throw new Error(`the player requested ${fromA.length} segments `
                        + 'from cache-a after it moved');
    }
    if (segments('cache-a') !== aSettled) {
        throw new Error(`cache-a served ${segments('cache-a') - aSettled} `
                        + 'segments after the player moved');
    }
    // the server's count since the update, the player's since the move
    if (fromB.length < 2 || segments('cache-b') < bPut + 2) {
        throw new Error(`cache-b served ${segments('cache-b') - bPut} `
                        + `segments after the update (the player asked `
                        + `${fromB.length} after the move); expected at `
                        + 'least 2');
    }

    // the move was the steering server's doing: cache-a serves on
    const res = await fetch(`http://${HOSTS['cache-a']}:${c.port}${c.src}`);
    if (res.status !== 200) {
        throw new Error(`cache-a answers ${res.status}, not 200`);
    }
    return `${c.engine} moved from cache-a (${aBefore} segments) to `
        + `cache-b at t=${from.toFixed(2)} s after loading steering `
        + `manifest ${cause[0].priority.join(',')}; played on to `
        + `t=${st.t.toFixed(2)} s (${st.frames} frames) with `
        + `${segments('cache-b') - bPut} segments from cache-b, none `
        + `from cache-a${expected(st.warnings)} `
        + `(${((Date.now() - t0) / 1000).toFixed(1)} s)`;
}

async function runCase(context, name, c) {
    let ng = null;
    let page = null;
    let notes = [];
    const t0 = Date.now();
    try {
        ng = await start();
        page = await context.newPage();
        notes = watchPage(page);
        const msg = await steerCase(page, c, t0, t0 + CASE_TIMEOUT);
        console.log(`PASS steering-${name}: ${msg}`);
        return { ok: true };
    } catch (e) {
        console.log(`FAIL steering-${name}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        const ev = page && await page.evaluate(() => window.vodPlayer
            && window.vodPlayer.events.slice(-8)).catch(() => null);
        if (ev) console.log('    last player events: ' + ev.join(' | '));
        return { ok: false, retryable: !!e.retryable, why: e.message };
    } finally {
        if (page) await page.close().catch(() => {});
        await stopNginx(ng);
    }
}

async function main() {
    const names = process.argv.slice(2);
    for (const n of names) {
        if (!CASES[n]) {
            console.log(`usage: node e2e/steering.js [hls] [dash]`);
            return 2;
        }
    }
    const chromium = playwright();
    if (!chromium) {
        return 1;
    }

    let context = null;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vodedge-e2e-'));
    const cleanup = async () => {
        if (context) await context.close().catch(() => {});
        fs.rmSync(profile, { recursive: true, force: true });
    };
    for (const sig of ['SIGINT', 'SIGTERM']) {
        process.on(sig, () => { cleanup().then(() => process.exit(130)); });
    }

    const failed = [];
    const retried = [];
    const run = names.length ? names : Object.keys(CASES);
    try {
        context = await launchChromium(chromium, profile);
        for (const n of run) {
            const r = await runWithRetry(`steering-${n}`,
                                         () => runCase(context, n, CASES[n]));
            if (r.retried) retried.push(`steering-${n} (${r.retried})`);
            if (!r.ok) failed.push(`steering-${n}`);
        }
    } catch (e) {
        console.log('FAIL steering: ' + e.message);
        failed.push('steering');
    } finally {
        await cleanup();
    }
    console.log(`e2e steering: ${failed.length ? 'FAIL' : 'PASS'} `
        + `(${failed.length} of ${run.length} cases failed`
        + `${failed.length ? ': ' + failed.join(', ') : ''}; `
        + `${retried.length} retried`
        + `${retried.length ? ': ' + retried.join(', ') : ''})`);
    return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.log('FAIL steering: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
});
