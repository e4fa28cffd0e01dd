#!/usr/bin/env node
// e2e/steering.js: hls.js in Debian's chromium follows an HLS Content
// Steering manifest of ngx_steering to a second pathway.
//
//   node e2e/steering.js
//
// One nginx (e2e/steering.conf) serves the title from an origin
// (127.0.0.1), from two "caches" on other loopback addresses on the same
// port (cache-a on 127.0.0.2, cache-b on 127.0.0.3) and runs the steering
// server.  The multivariant playlist carries EXT-X-CONTENT-STEERING; the
// steering manifest ranks cache-a, cache-b, origin.  The case:
//
//   1. hls.js plays, and cache-a's access log shows media segments
//   2. cache-a is marked unhealthy (PUT /steering/caches/cache-a) and its
//      server stops serving (503)
//   3. playback goes on for 8 s of media without a fatal error, and
//      cache-b's access log shows the segments it fetched since
//
// hls.js buffers at most 4 s ahead here, so it keeps fetching.  Bounded
// by CASE_TIMEOUT (45 s), with one printed retry on a fresh nginx.
//
// Environment: E2E_STEERING_PORT (8094; the steering server listens on
// the next port), E2E_MEDIA (build/media; the 60 s demo title is best),
// E2E_TITLE (demo), NGINX, CHROMIUM, CASE_TIMEOUT seconds.

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
    ROOT, sleep, startNginx, stopNginx, checkPlayers, playwright,
    launchChromium, waitFor, watchPage,
} = require('./lib');

const PORT = parseInt(process.env.E2E_STEERING_PORT || '8094', 10);
const STEER_PORT = PORT + 1;
const CASE_TIMEOUT = 1000 * parseInt(process.env.CASE_TIMEOUT || '45', 10);
const TITLE = process.env.E2E_TITLE || 'demo';
const PREFIX = path.join(ROOT, 'build', 'e2e-steering');
const MEDIA = path.resolve(process.env.E2E_MEDIA
                           || path.join(ROOT, 'build', 'media'));

// segments fetched with 200 by one server, from its access log
function segments(name) {
    let text = '';
    try {
        text = fs.readFileSync(path.join(PREFIX, 'logs', name + '.log'),
                               'utf8');
    } catch (e) {
        return 0;
    }
    return text.split('\n')
        .filter((l) => /"GET \/vod\/\S+\.(m4s|ts) HTTP\/[\d.]+" 200$/.test(l))
        .length;
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
            { id: 'cache-a', url: `http://127.0.0.2:${PORT}`, tier: 'ixp',
              capacity_gbps: 100 },
            { id: 'cache-b', url: `http://127.0.0.3:${PORT}`, tier: 'ixp',
              capacity_gbps: 50 },
            { id: 'origin', url: `http://127.0.0.1:${PORT}`,
              tier: 'origin' },
        ],
    }, null, 1));

    const tpl = fs.readFileSync(path.join(ROOT, 'e2e', 'steering.conf'),
                                'utf8');
    const conf = tpl.replace(/@PREFIX@/g, PREFIX)
        .replace(/@ROOT@/g, ROOT)
        .replace(/@MEDIA@/g, MEDIA)
        .replace(/@STEER_PORT@/g, String(STEER_PORT))
        .replace(/@PORT@/g, String(PORT));

    return startNginx(PREFIX, conf, PORT);
}

// the Authorization header of a state API request, signed with the demo
// key e2e/steering.conf trusts (the scheme: README, "Signing a state
// request")
function signState(method, target, body) {
    const file = path.join(ROOT, 'conf', 'demo-only-steering.key');
    const line = fs.readFileSync(file, 'utf8').split('\n')
        .find((l) => l.startsWith('demo '));
    const secret = Buffer.from(line.split(/\s+/)[1], 'base64url');
    const ts = Math.floor(Date.now() / 1000);
    const nonce = crypto.randomBytes(16).toString('hex');
    const bodyHash = crypto.createHash('sha256').update(body).digest('hex');
    const sig = crypto.createHmac('sha256', secret)
        .update(['STEERING-HMAC-SHA256', 'demo', ts, nonce, method, target,
                 bodyHash].join('\n'))
        .digest('hex');
    return `Steering-HMAC-SHA256 kid=demo, ts=${ts}, nonce=${nonce}, `
           + `sig=${sig}`;
}

async function setHealth(id, healthy) {
    const target = '/steering/caches/' + id;
    const body = JSON.stringify({ healthy });
    const res = await fetch(`http://127.0.0.1:${STEER_PORT}${target}`, {
        method: 'PUT',
        headers: { Authorization: signState('PUT', target, body) },
        body,
    });
    if (res.status !== 200) {
        throw new Error(`PUT /steering/caches/${id} answered ${res.status}`);
    }
}

async function waitLog(page, name, min, deadline, what) {
    for (;;) {
        await waitFor(page, () => true, deadline, what);
        if (segments(name) >= min) return;
        if (Date.now() > deadline) {
            throw new Error(`${what}: ${name} served ${segments(name)} `
                            + `segments, expected at least ${min}`);
        }
        await sleep(100);
    }
}

async function runCase(context) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const t0 = Date.now();
    const deadline = t0 + CASE_TIMEOUT;
    try {
        // the manifest must name the steering server
        const master = await (await fetch(`http://127.0.0.1:${PORT}/vod/`
                                          + `${TITLE}/master.m3u8`)).text();
        if (!master.includes('#EXT-X-CONTENT-STEERING:SERVER-URI="http://'
                             + `127.0.0.1:${STEER_PORT}/steer/${TITLE}/hls"`)) {
            throw new Error('the multivariant playlist has no '
                            + 'EXT-X-CONTENT-STEERING for this server');
        }

        const url = `http://127.0.0.1:${PORT}/player/?engine=hls&buffer=4`
                    + `&src=${encodeURIComponent(`/vod/${TITLE}/master.m3u8`)}`;
        await page.goto(url, { timeout: CASE_TIMEOUT });
        await waitFor(page, (s) => s.t > 1, deadline, 'start');
        await waitLog(page, 'cache-a', 2, deadline,
                      'steered to cache-a');

        // cache-a goes away: unhealthy for steering, and it stops serving
        await setHealth('cache-a', false);
        fs.writeFileSync(path.join(PREFIX, 'cache-a.down'), '');
        const a = segments('cache-a');
        const b = segments('cache-b');
        let st = await waitFor(page, () => true, deadline, 'switch');
        const from = st.t;

        st = await waitFor(page, (s) => s.t >= from + 8, deadline,
                           `play on from t=${from.toFixed(2)}`);
        await waitLog(page, 'cache-b', b + 2, deadline,
                      'steered to cache-b');
        if (segments('cache-a') !== a) {
            throw new Error('cache-a served segments after it went down');
        }

        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        console.log(`PASS steering-hls: hls.js fetched ${a} segments from `
            + `cache-a; cache-a marked unhealthy and stopped at `
            + `t=${from.toFixed(2)} s; played on to t=${st.t.toFixed(2)} s `
            + `with ${segments('cache-b') - b} segments from cache-b `
            + `(${secs} s)`);
        return true;
    } catch (e) {
        console.log(`FAIL steering-hls: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        const st = await page.evaluate(() => window.vodPlayer
            && window.vodPlayer.events.slice(-6)).catch(() => null);
        if (st) console.log('    last player events: ' + st.join(' | '));
        return false;
    } finally {
        await page.close().catch(() => {});
    }
}

async function main() {
    const chromium = playwright();
    if (!chromium) {
        return 1;
    }

    let ng = null;
    let context = null;
    let ok = false;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vodedge-e2e-'));
    const cleanup = async () => {
        if (context) await context.close().catch(() => {});
        await stopNginx(ng);
        fs.rmSync(profile, { recursive: true, force: true });
    };
    for (const sig of ['SIGINT', 'SIGTERM']) {
        process.on(sig, () => { cleanup().then(() => process.exit(130)); });
    }

    try {
        context = await launchChromium(chromium, profile);
        for (let attempt = 0; attempt < 2 && !ok; attempt++) {
            if (attempt > 0) {
                // a player start can lose a race on a loaded machine; a
                // real fault fails both tries, and the retry is printed
                console.log('RETRY steering-hls');
                await stopNginx(ng);
            }
            ng = await start();
            ok = await runCase(context);
        }
    } catch (e) {
        console.log('FAIL steering-hls: ' + e.message);
    } finally {
        await cleanup();
    }
    console.log(`e2e steering: ${ok ? 'PASS' : 'FAIL'}`);
    return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
    console.log('FAIL steering-hls: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
});
