// e2e/lib.js: what the real-player tests share (play.js, steering.js,
// audio.js, subs.js, codecs.js, drm.js): a private nginx started from a generated
// configuration, test titles made once by a tools/mkmedia-*.sh script,
// Debian's chromium through playwright-core, and the state of the player
// page (e2e/www/player.html).

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const net = require('net');
const { spawn, execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const NGINX = process.env.NGINX || '/usr/sbin/nginx';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

function portOpen(port, host) {
    return new Promise((resolve) => {
        const s = net.connect(port, host || '127.0.0.1');
        s.on('connect', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
    });
}

// writes conf to PREFIX/nginx.conf and runs nginx on it until it listens
// on port; PREFIX gets logs/ and temp/
async function startNginx(prefix, conf, port) {
    for (const d of ['logs', 'temp']) {
        fs.mkdirSync(path.join(prefix, d), { recursive: true });
    }
    const confFile = path.join(prefix, 'nginx.conf');
    fs.writeFileSync(confFile, conf);

    if (await portOpen(port)) {
        throw new Error(`port ${port} is already in use`);
    }
    const errLog = path.join(prefix, 'logs', 'error.log');
    const proc = spawn(NGINX, ['-p', prefix + '/', '-c', confFile,
                               '-e', errLog],
                       { stdio: ['ignore', 'inherit', 'inherit'] });
    let exited = null;
    proc.on('exit', (code) => { exited = code; });
    for (let i = 0; i < 250; i++) {
        if (exited !== null) {
            throw new Error(`nginx exited with ${exited}; see ${errLog}`);
        }
        if (await portOpen(port)) {
            return { proc, errLog };
        }
        await sleep(20);
    }
    proc.kill('SIGTERM');
    throw new Error(`nginx did not listen on ${port}`);
}

async function stopNginx(ng) {
    if (!ng || ng.proc.exitCode !== null) return;
    const done = new Promise((r) => ng.proc.on('exit', r));
    ng.proc.kill('SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (ng.proc.exitCode === null) ng.proc.kill('SIGKILL');
}

// the directory of a test's titles: the environment variable env names,
// or build/NAME, made there once by tools/SCRIPT DIR SECONDS (each script
// touches DIR/.done when it is through)
function mediaDir(env, name, script, seconds) {
    if (process.env[env]) {
        return path.resolve(process.env[env]);
    }
    const dir = path.join(ROOT, 'build', name);
    if (!fs.existsSync(path.join(dir, '.done'))) {
        console.log(`${name}: making the titles with tools/${script}`);
        execFileSync(path.join(ROOT, 'tools', script), [dir, String(seconds)],
                     { stdio: 'inherit' });
    }
    return dir;
}

// the packager (modules/ngx_vod_package_module.so) serving media under
// /vod/ and the player page under /player/ on port, from e2e/nginx.conf;
// build/NAME is its prefix, vod what the /vod/ location adds to
// vod_package
async function startOrigin(name, media, port, vod) {
    const prefix = path.join(ROOT, 'build', name);
    const so = path.join(ROOT, 'modules', 'ngx_vod_package_module.so');
    if (!fs.existsSync(so)) {
        throw new Error(`${so} does not exist (run make)`);
    }
    checkPlayers();
    const tpl = fs.readFileSync(path.join(ROOT, 'e2e', 'nginx.conf'), 'utf8');
    const conf = tpl.replace(/@LOAD_MODULE@/g, `load_module ${so};`)
        .replace(/@PREFIX@/g, prefix)
        .replace(/@ROOT@/g, ROOT)
        .replace(/@MEDIA@/g, media)
        .replace(/@PORT@/g, String(port))
        .replace(/@VOD@/g, 'vod_package;' + (vod ? ' ' + vod : ''))
        .replace(/@HTTP_EXTRA@/g,
                 `vod_index_cache ${name.replace(/\W/g, '_')}:16m;`)
        .replace(/@SIGNED@/g, '');
    return startNginx(prefix, conf, port);
}

function checkPlayers() {
    for (const lib of ['hls.js/dist/hls.min.js',
                       'dashjs/dist/modern/umd/dash.all.min.js',
                       'shaka-player/dist/shaka-player.compiled.js']) {
        if (!fs.existsSync(path.join(ROOT, 'e2e', 'node_modules', lib))) {
            throw new Error(`e2e/node_modules/${lib} missing `
                            + '(run tools/install-deps.sh)');
        }
    }
}

// playwright-core's chromium, or null after printing why not
function playwright() {
    try {
        return require('playwright-core').chromium;
    } catch (e) {
        console.log('FAIL e2e: playwright-core is not installed '
                    + '(run tools/install-deps.sh)');
        return null;
    }
}

function launchChromium(chromium, profile) {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`${CHROMIUM} is missing`);
    }
    return chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
            '--headless', '--no-sandbox', '--disable-gpu',
            '--disable-quic', '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update', '--disable-sync',
            '--autoplay-policy=no-user-gesture-required',
            '--mute-audio',
        ],
        timeout: 30000,
    });
}

// the in-page state the player page keeps (e2e/www/player.html)
function pageState() {
    const v = document.getElementById('video');
    const s = window.vodPlayer || { errors: ['player page not loaded'] };
    const q = v && v.getVideoPlaybackQuality
              ? v.getVideoPlaybackQuality() : null;
    return {
        now: performance.now(),
        t: v ? v.currentTime : -1,
        duration: v ? v.duration : NaN,
        readyState: v ? v.readyState : 0,
        paused: v ? v.paused : true,
        frames: q ? q.totalVideoFrames : 0,
        errors: s.errors.slice(),
        warnings: s.warnings ? s.warnings.slice() : [],
        steering: s.steering ? s.steering.slice() : [],
        pathways: s.pathways ? s.pathways.slice() : [],
        frags: s.frags ? s.frags.slice() : [],
        events: s.events ? s.events.slice(-8) : [],
    };
}

// the player's non-fatal errors no pattern of allowed matches
function unexpected(warnings, allowed) {
    return warnings.filter((w) => !(allowed || []).some((re) => re.test(w)));
}

// the expected non-fatal errors a case saw, counted, for its PASS line
function expected(warnings) {
    if (warnings.length === 0) return '';
    const n = {};
    for (const w of warnings) {
        const k = w.replace(/ https?:\S+$/, '');
        n[k] = (n[k] || 0) + 1;
    }
    return '; expected non-fatal errors: '
        + Object.keys(n).map((k) => `${k} x${n[k]}`).join(', ');
}

// polls the page until pred(state) holds; throws on a player error, on a
// non-fatal player error that allowed (RegExps) does not list, and at the
// deadline
async function waitFor(page, pred, deadline, what, allowed) {
    for (;;) {
        const st = await page.evaluate(pageState);
        if (st.errors.length) {
            throw new Error(`${what}: player error: ${st.errors.join('; ')}`);
        }
        const bad = unexpected(st.warnings, allowed);
        if (bad.length) {
            throw new Error(`${what}: non-fatal player error(s) no case `
                            + `expects: ${bad.join('; ')}`);
        }
        if (pred(st)) return st;
        if (Date.now() > deadline) {
            const e = new Error(`${what}: timed out at t=${st.t.toFixed(2)} `
                + `duration=${st.duration} readyState=${st.readyState} `
                + `paused=${st.paused} frames=${st.frames}; last events: `
                + st.events.join(' | '));
            e.timeout = true;
            throw e;
        }
        await sleep(100);
    }
}

// notes on a page's errors and failed requests, for a FAIL line
function watchPage(page) {
    const notes = [];
    page.on('pageerror', (e) => notes.push('pageerror: ' + e.message));
    page.on('console', (m) => {
        if (m.type() === 'error') notes.push('console: ' + m.text());
    });
    page.on('response', (r) => {
        if (r.status() >= 400) notes.push(`HTTP ${r.status()} ${r.url()}`);
    });
    return notes;
}

// Runs attempt() (which resolves to { ok, retryable, why }) and once more
// only when the first try failed with retryable set: the player did not
// start before the deadline, which real browser timing on a loaded
// machine can cause.  Any other failure fails at once.  The retry is
// printed; the result says why it was needed ({ ok, retried }).
async function runWithRetry(name, attempt) {
    const r = await attempt();
    if (r.ok || !r.retryable) {
        return { ok: r.ok, retried: null };
    }
    console.log(`RETRY ${name}: ${r.why}`);
    const again = await attempt();
    return { ok: again.ok, retried: r.why };
}

// The steering state API (ngx_steering "steering state"): marks a cache
// healthy or not.  Every test that changes a cache's state goes through
// here, so a credential the API asks for is added in one place.
// the Authorization header of a steering state API request, signed with
// the demo key e2e/steering.conf trusts (the scheme: README, "Signing a
// state request")
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

async function setCacheHealth(base, id, healthy) {
    const target = '/steering/caches/' + id;
    const body = JSON.stringify({ healthy });
    const res = await fetch(base + target, {
        method: 'PUT',
        headers: { Authorization: signState('PUT', target, body) },
        body,
    });
    const text = await res.text();
    if (res.status !== 200) {
        throw new Error(`PUT ${target} answered ${res.status}: ` + text);
    }
    const st = JSON.parse(text);
    if (st.healthy !== healthy) {
        throw new Error(`PUT ${target}: healthy is `
                        + `${st.healthy} after the update`);
    }
    return st;
}

// before any script of the page: every SourceBuffer made, by its type, so
// that a case reads where each track's media starts in the player's
// buffer, whatever the engine (it moves both by one timestampOffset)
function recordSourceBuffers() {
    window.__sourceBuffers = [];
    const add = MediaSource.prototype.addSourceBuffer;
    MediaSource.prototype.addSourceBuffer = function (type) {
        const sb = add.call(this, type);
        window.__sourceBuffers.push({ type, sb });
        return sb;
    };
}

// the first buffered time of the video's and the audio's SourceBuffer
function bufferStarts() {
    const out = {};
    for (const { type, sb } of window.__sourceBuffers || []) {
        const kind = type.startsWith('video') ? 'video' : 'audio';
        try {
            if (sb.buffered.length) out[kind] = sb.buffered.start(0);
        } catch (e) {
            /* removed from its MediaSource: no longer the player's */
        }
    }
    return out;
}


// where the video is buffered against the audio, checked: they must
// start lead seconds apart (the file's video start less its audio's),
// within a frame of audio; a note for the PASS line, or it throws
async function checkSync(page, lead) {
    const b = await page.evaluate(bufferStarts);
    if (b.video === undefined || b.audio === undefined
        || Math.abs(b.video - b.audio - lead) > 0.03)
    {
        throw new Error(`the video is buffered from ${b.video} s, the `
            + `audio from ${b.audio} s: the file starts the video `
            + `${lead} s after the audio`);
    }
    return `, its video buffered from ${(b.video - b.audio).toFixed(3)} s `
        + 'after its audio';
}


module.exports = {
    ROOT, NGINX, CHROMIUM, sleep, portOpen, startNginx, stopNginx,
    startOrigin, mediaDir, checkPlayers, playwright, launchChromium,
    pageState, waitFor, unexpected, expected, watchPage, setCacheHealth,
    runWithRetry, recordSourceBuffers, checkSync,
};
