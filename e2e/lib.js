// e2e/lib.js: what the real-player tests share (play.js, steering.js):
// a private nginx started from a generated configuration, Debian's
// chromium through playwright-core, and the state of the player page
// (e2e/www/player.html).

'use strict';

const fs = require('fs');
const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

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

function checkPlayers() {
    for (const lib of ['hls.js/dist/hls.min.js',
                       'dashjs/dist/modern/umd/dash.all.min.js']) {
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
    return {
        t: v ? v.currentTime : -1,
        duration: v ? v.duration : NaN,
        readyState: v ? v.readyState : 0,
        paused: v ? v.paused : true,
        errors: s.errors.slice(),
        events: s.events ? s.events.slice(-8) : [],
    };
}

async function waitFor(page, pred, deadline, what) {
    for (;;) {
        const st = await page.evaluate(pageState);
        if (st.errors.length) {
            throw new Error(`${what}: player error: ${st.errors.join('; ')}`);
        }
        if (pred(st)) return st;
        if (Date.now() > deadline) {
            throw new Error(`${what}: timed out at t=${st.t.toFixed(2)} `
                + `duration=${st.duration} readyState=${st.readyState} `
                + `paused=${st.paused}; last events: `
                + st.events.join(' | '));
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

module.exports = {
    ROOT, NGINX, CHROMIUM, sleep, portOpen, startNginx, stopNginx,
    checkPlayers, playwright, launchChromium, pageState, waitFor,
    watchPage,
};
