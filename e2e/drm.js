#!/usr/bin/env node
// e2e/drm.js: protected output (vod_encryption cenc | cbcs) decrypted and
// played by real players in Debian's chromium (its built-in W3C ClearKey
// CDM), driven by playwright-core.
//
//   node e2e/drm.js
//
// Two origins on the same titles, one per scheme (cenc on E2E_PORT, cbcs
// on E2E_PORT + 1), each with vod_encryption_clearkey on and a secret made
// here (build/e2e-drm-key.bin, random, never committed).  For each of
// Shaka Player and dash.js and each scheme, on the title's MPD:
//   play       the player is given the absolute URL of the title's
//              clearkey licence; the licence request is made and answered
//              200 with the key of the MPD's default_KID, and playback
//              passes PLAY_UNTIL (3 s) with video frames decoded and no
//              player error
//   mpd-laurl  the player is given no licence URL: it takes the MPD's
//              (relative) dashif:laurl, or it does not; the case reports
//              which and fails only on a player that plays without a key
//   mpd-rewritten the player is given no licence URL and the MPD's
//              dashif:laurl is made an absolute dashif:Laurl by the test
//              (dash.js without the keyids shim): it plays, as the play
//              case; what a packager that knew its public URL would write
//   no-licence the licence URL is the clearkey of a title that does not
//              exist, which answers 404: the player reports an error and
//              does not play
//   wrong-kid  the licence answers 200 with a key for another KID: the
//              player does not play (no time passes, no frame decoded)
//   wrong-key  the licence answers 200 with another key for the title's
//              KID: the player does not play (Chromium: a decode error)
// And hls.js (emeEnabled, drmSystems org.w3.clearkey with the licence
// URL) on master.m3u8, cenc and cbcs, as the play cases: the CMAF
// playlists' KEYFORMAT="org.w3.clearkey" EXT-X-KEY, whose data: URI is
// the KID (hls-cenc-play, hls-cbcs-play).
// And hls.js on master-ts.m3u8 (MPEG-TS, HLS AES-128; either origin, the
// scheme does not matter to TS): no EME, hls.js fetches the playlist's
// aes.key itself and decrypts each segment (ts-aes128-play: aes.key asked
// and answered 200 with 16 bytes, playback passes PLAY_UNTIL);
// ts-aes128-wrong-key: aes.key answers 16 other bytes, and hls.js does
// not play.  The same for CMAF (cmaf-aes128-*) on a third origin with
// vod_encryption aes-128: init segments clear, media segments encrypted
// whole.
// And a clear lead (vod_encryption_clear_lead 3s on two more origins,
// cenc-lead and cbcs-lead: with 2 s segments the first two are clear,
// the init segments protected): Shaka Player, dash.js (DASH) and hls.js
// (HLS CMAF) play each scheme (shaka-cenc-lead-play, ...) with the
// licence answer held
// back LEAD_LICENCE_DELAY (2.5 s): playback passes 1 s before the answer
// arrives (the lead plays without it) and goes on past the lead into the
// encrypted segments (PLAY_PAST_LEAD, 6 s) with the licence answered 200.
// Known not to play, reported as KNOWN (and failing the run the day they
// play, so that they become play cases):
//   dash-cenc-no-shim  dash.js 5.2.1 given the licence URL, without the
//              player page's keyids shim (e2e/www/player.html): it hands
//              the common system's pssh box to generateRequest() as
//              'keyids' init data
// Each case is bounded by CASE_TIMEOUT (60 s); a negative case watches the
// player for NEGATIVE_WATCH (12 s).
//
// Environment: E2E_PORT (8093), E2E_MEDIA (build/media), E2E_TITLE
// (demo), E2E_ONLY (a RegExp: the cases whose names match), NGINX,
// CHROMIUM, CASE_TIMEOUT seconds (60).

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
    ROOT, startOrigin, stopNginx, playwright, launchChromium, waitFor,
    watchPage, pageState, sleep, expected,
} = require('./lib');

const PORT = parseInt(process.env.E2E_PORT || '8093', 10);
const CASE_TIMEOUT = 1000 * parseInt(process.env.CASE_TIMEOUT || '60', 10);
const NEGATIVE_WATCH = 12000;
const PLAY_UNTIL = 3;
const TITLE = process.env.E2E_TITLE || 'demo';
const MEDIA = path.resolve(process.env.E2E_MEDIA
                           || path.join(ROOT, 'build', 'media'));
// vod_encryption of each origin: the Common Encryption schemes, and HLS
// AES-128 of everything (no MPD there); "-lead": with a clear lead
const SCHEMES = { cenc: PORT, cbcs: PORT + 1, 'aes-128': PORT + 2,
                  'cenc-lead': PORT + 3, 'cbcs-lead': PORT + 4 };
const CENC_SCHEMES = ['cenc', 'cbcs'];
const LEAD = 'vod_encryption_clear_lead 3s; ';
const LEAD_LICENCE_DELAY = 2500;
const PLAY_PAST_LEAD = 6;

const CASES = [];
for (const scheme of CENC_SCHEMES) {
    for (const engine of ['shaka', 'dash']) {
        for (const kind of ['play', 'mpd-laurl', 'mpd-rewritten',
                            'no-licence', 'wrong-kid', 'wrong-key']) {
            CASES.push({ name: `${engine}-${scheme}-${kind}`, engine,
                         scheme, kind, file: 'manifest.mpd' });
        }
    }
}
CASES.push({ name: 'dash-cenc-no-shim', engine: 'dash', scheme: 'cenc',
             kind: 'dash-as-is', file: 'manifest.mpd' });
for (const scheme of CENC_SCHEMES) {
    CASES.push({ name: `hls-${scheme}-play`, engine: 'hls', scheme,
                 kind: 'play', file: 'master.m3u8' });
}

for (const scheme of CENC_SCHEMES) {
    for (const engine of ['shaka', 'dash', 'hls']) {
        CASES.push({ name: `${engine}-${scheme}-lead-play`, engine,
                     scheme: `${scheme}-lead`, kind: 'lead-play',
                     file: engine === 'hls' ? 'master.m3u8'
                                            : 'manifest.mpd' });
    }
}

for (const kind of ['play', 'wrong-key']) {
    CASES.push({ name: `ts-aes128-${kind}`, engine: 'hls', scheme: 'cenc',
                 kind: `aes128-${kind}`, file: 'master-ts.m3u8' });
    CASES.push({ name: `cmaf-aes128-${kind}`, engine: 'hls',
                 scheme: 'aes-128', kind: `aes128-${kind}`,
                 file: 'master.m3u8' });
}

function b64url(buf) {
    return Buffer.from(buf).toString('base64url');
}

// the licence requests a page makes: [{method, status, kids, keys}]
function watchLicences(page) {
    const seen = [];
    page.on('response', async (r) => {
        if (!new URL(r.url()).pathname.endsWith('/clearkey')) return;
        const e = { url: r.url(), method: r.request().method(),
                    status: r.status(), kids: null, keys: null };
        seen.push(e);
        try {
            e.kids = JSON.parse(r.request().postData() || '{}').kids;
        } catch (x) {
            e.kids = 'unparsable request';
        }
        try {
            e.keys = JSON.parse(await r.text()).keys;
        } catch (x) {
            e.keys = null;
        }
    });
    return seen;
}

// the aes.key requests a page makes: [{status, length}]
function watchKeys(page) {
    const seen = [];
    page.on('response', async (r) => {
        if (!new URL(r.url()).pathname.endsWith('/aes.key')) return;
        const e = { status: r.status(), length: -1 };
        seen.push(e);
        try {
            e.length = (await r.body()).length;
        } catch (x) {
            e.length = -1;
        }
    });
    return seen;
}

// hls.js on MPEG-TS under HLS AES-128: the key from the playlist's URI
async function runAes128(page, c, base) {
    const keys = watchKeys(page);
    const src = `/vod/${TITLE}/${c.file}`;
    const what = `hls ${src} (AES-128, vod_encryption ${c.scheme})`;
    if (c.kind === 'aes128-wrong-key') {
        await page.route((u) => u.pathname.endsWith('/aes.key'),
                         (route) => route.fulfill({
                             status: 200, body: crypto.randomBytes(16),
                             contentType: 'application/octet-stream' }));
    }
    await page.goto(`${base}/player/?engine=hls`
                    + `&src=${encodeURIComponent(src)}`,
                    { timeout: CASE_TIMEOUT });
    if (c.kind === 'aes128-play') {
        // the 21 ms AAC priming gap of TS segment 1, as e2e/play.js's
        // clear hls-ts case expects (named, or not: see there)
        const st = await waitFor(
            page, (s) => s.t > PLAY_UNTIL && s.frames > 0,
            Date.now() + CASE_TIMEOUT, what,
            [/^mediaError bufferSeekOverHole(?: \S+-1\.ts)?$/]);
        if (!keys.some((k) => k.status === 200 && k.length === 16)) {
            throw new Error('played, but no aes.key answered 200 with 16 '
                            + `bytes: ${JSON.stringify(keys)}`);
        }
        console.log(`PASS ${c.name}: ${what} played to `
            + `t=${st.t.toFixed(2)} s, ${st.frames} frames decoded, `
            + `aes.key asked ${keys.length} time(s)`
            + expected(st.warnings));
        return true;
    }
    const until = Date.now() + NEGATIVE_WATCH;
    let st = null;
    while (Date.now() < until) {
        st = await page.evaluate(pageState);
        if (st.errors.length || st.t > 1) break;
        await sleep(200);
    }
    if (st.t > 1) {
        throw new Error(`played with the wrong key: t=${st.t.toFixed(2)}`);
    }
    console.log(`PASS ${c.name}: ${what} with another key does not play `
        + `(t=${st.t.toFixed(2)}, ${st.frames} frames); `
        + (st.errors.length ? `player error: ${st.errors[0]}`
           : 'no player error, stalled'));
    return true;
}

async function runCase(context, c) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const licences = watchLicences(page);
    const base = `http://127.0.0.1:${SCHEMES[c.scheme]}`;
    const src = `/vod/${TITLE}/${c.file}`;
    const deadline = Date.now() + CASE_TIMEOUT;
    let clearkey = `${base}/vod/${TITLE}/clearkey`;
    if (c.kind === 'mpd-laurl' || c.kind === 'mpd-rewritten') {
        clearkey = 'mpd';
    }
    if (c.kind === 'mpd-rewritten') {
        // the MPD as both players take its licence URL: absolute
        await page.route((u) => u.pathname.endsWith('/manifest.mpd'),
                         async (route) => {
            const res = await route.fetch();
            const text = (await res.text())
                .replace(/<dashif:laurl>clearkey<\/dashif:laurl>/g,
                         `<dashif:Laurl>${base}/vod/${TITLE}/clearkey`
                         + '</dashif:Laurl>');
            if (!text.includes(`${base}/vod/${TITLE}/clearkey`)) {
                // not thrown: a route handler's rejection would end the
                // run before its nginx are stopped; the case fails as the
                // player gets no MPD
                console.log('the MPD has no dashif:laurl clearkey');
                await route.abort();
                return;
            }
            await route.fulfill({ response: res, body: text });
        });
    }
    let licensed = 0;
    if (c.kind === 'lead-play') {
        // the licence answer held back: the lead plays meanwhile
        await page.route((u) => u.pathname.endsWith('/clearkey'),
                         async (route) => {
            const res = await route.fetch();
            await sleep(LEAD_LICENCE_DELAY);
            licensed = Date.now();
            await route.fulfill({ response: res });
        });
    }
    if (c.kind === 'no-licence') {
        clearkey = `${base}/vod/no-such-title/clearkey`;
    }
    if (c.kind === 'wrong-kid' || c.kind === 'wrong-key') {
        // the real licence, its key given for a KID the title has not,
        // or another key for the title's KID
        await page.route((u) => u.pathname.endsWith('/clearkey'),
                         async (route) => {
            const res = await route.fetch();
            const body = await res.json();
            for (const k of body.keys) {
                k[c.kind === 'wrong-kid' ? 'kid' : 'k']
                    = b64url(crypto.randomBytes(16));
            }
            await route.fulfill({ response: res,
                                  body: JSON.stringify(body) });
        });
    }
    const what = `${c.engine} ${c.scheme} ${src} (clearkey ${clearkey})`;
    try {
        if (/^aes128-/.test(c.kind)) {
            return await runAes128(page, c, base);
        }

        // the key the MPD names, to check the licence answers it
        const mpd = await (await fetch(`${base}/vod/${TITLE}/manifest.mpd`))
            .text();
        const m = /cenc:default_KID="([0-9a-f-]{36})"/.exec(mpd);
        if (!m) throw new Error('the MPD names no cenc:default_KID');
        const kid = b64url(Buffer.from(m[1].replace(/-/g, ''), 'hex'));
        const scheme = /mp4protection:2011" value="(\w+)"/.exec(mpd);

        await page.goto(`${base}/player/?engine=${c.engine}`
                        + `&src=${encodeURIComponent(src)}`
                        + `&clearkey=${encodeURIComponent(clearkey)}`
                        + (c.engine === 'dash' && c.kind !== 'dash-as-is'
                           && c.kind !== 'mpd-rewritten'
                           ? '&keyids-shim=1' : ''),
                        { timeout: CASE_TIMEOUT });

        let early = null;
        if (c.kind === 'lead-play') {
            early = await waitFor(page, (s) => s.t > 1 && s.frames > 0,
                                  deadline, what);
            if (licensed) {
                throw new Error('the lead did not play before the licence '
                    + `answer (t=${early.t.toFixed(2)} only after it)`);
            }
        }

        if (c.kind === 'play' || c.kind === 'mpd-rewritten'
            || c.kind === 'lead-play')
        {
            const until = (c.kind === 'lead-play') ? PLAY_PAST_LEAD
                                                   : PLAY_UNTIL;
            const st = await waitFor(
                page, (s) => s.t > until && s.frames > 0, deadline,
                what);
            const ok = licences.filter((l) => l.method === 'POST'
                && l.status === 200 && Array.isArray(l.keys)
                && l.keys.some((k) => k.kid === kid));
            if (!ok.length) {
                throw new Error('played, but no licence request answered '
                    + `200 with the key of KID ${kid}: `
                    + JSON.stringify(licences));
            }
            console.log(`PASS ${c.name}: ${what} played to `
                + `t=${st.t.toFixed(2)} s, ${st.frames} frames decoded, `
                + `${licences.length} licence request(s), `
                + `${ok.length} answered 200 with KID ${kid}; MPD `
                + `scheme value "${scheme ? scheme[1] : '?'}"`
                + (early ? `; t=${early.t.toFixed(2)} before the licence `
                   + 'answer' : ''));
            return true;
        }

        if (c.kind === 'dash-as-is') {
            // known not to play: dash.js without the page's keyids shim
            let err = null;
            try {
                await waitFor(page, (s) => s.t > PLAY_UNTIL && s.frames > 0,
                              Date.now() + NEGATIVE_WATCH, what);
            } catch (e) {
                err = e.message;
            }
            if (!err) {
                throw new Error(`${c.engine} now plays without a `
                                + 'workaround: make this a play case');
            }
            console.log(`KNOWN ${c.name}: ${c.engine} does not play `
                + `${src} as served `
                + `(licence requests: ${licences.map((l) =>
                    `${l.status} ${JSON.stringify(l.kids)}`).join(', ')
                    || 'none'}): ${err}`);
            return true;
        }

        if (c.kind === 'mpd-laurl') {
            // plays only if the player resolved the MPD's laurl
            let st = null;
            let err = null;
            try {
                st = await waitFor(page, (s) => s.t > PLAY_UNTIL
                                   && s.frames > 0,
                                   Date.now() + NEGATIVE_WATCH, what);
            } catch (e) {
                err = e.message;
            }
            const asked = licences.filter((l) => l.status === 200);
            if (st && !asked.length) {
                throw new Error('played without a licence request');
            }
            console.log(`PASS ${c.name}: ${c.engine} ${c.scheme} `
                + (st ? `resolves the MPD's relative dashif:laurl `
                   + `(${asked[0].url}) and plays to t=${st.t.toFixed(2)}`
                   : `does not play with the MPD's dashif:laurl alone `
                   + `(licence requests: ${licences.map((l) =>
                       `${l.status} ${l.url}`).join(', ') || 'none'}): `
                   + err));
            return true;
        }

        // negative cases: an error, or no playback, within NEGATIVE_WATCH
        const until = Date.now() + NEGATIVE_WATCH;
        let st = null;
        while (Date.now() < until) {
            st = await page.evaluate(pageState);
            if (st.errors.length || st.t > 1 || st.frames > 0) break;
            await sleep(200);
        }
        if (st.t > 1 || (st.frames > 0 && !st.errors.length)) {
            throw new Error(`played without the right key: `
                + `t=${st.t.toFixed(2)} frames=${st.frames}`);
        }
        if (c.kind === 'no-licence'
            && !licences.some((l) => l.status === 404))
        {
            throw new Error('no licence request answered 404: '
                            + JSON.stringify(licences));
        }
        if (/^wrong-/.test(c.kind)
            && !licences.some((l) => l.status === 200))
        {
            throw new Error('no licence request answered: '
                            + JSON.stringify(licences));
        }
        console.log(`PASS ${c.name}: ${what} does not play `
            + `(t=${st.t.toFixed(2)}, ${st.frames} frames, licence `
            + `${licences.map((l) => l.status).join(',')}); `
            + (st.errors.length ? `player error: ${st.errors[0]}`
               : 'no player error, stalled'));
        return true;
    } catch (e) {
        console.log(`FAIL ${c.name}: ${what}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        const ev = await page.evaluate(
            () => (window.vodPlayer ? window.vodPlayer.events : []))
            .catch(() => []);
        for (const n of ev.slice(-8)) console.log('    event: ' + n);
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
    const origins = [];
    let context = null;
    const failed = [];
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vodedge-drm-'));
    try {
        if (!fs.existsSync(path.join(MEDIA, TITLE))) {
            throw new Error(`${MEDIA}/${TITLE} is missing (make fixtures, `
                            + 'or set E2E_MEDIA)');
        }
        // a fresh secret per run: the keys are derived from it
        const key = path.join(ROOT, 'build', 'e2e-drm-key.bin');
        fs.mkdirSync(path.dirname(key), { recursive: true });
        fs.writeFileSync(key, crypto.randomBytes(32), { mode: 0o600 });
        for (const scheme of Object.keys(SCHEMES)) {
            origins.push(await startOrigin(
                `e2e-drm-${scheme}-nginx`, MEDIA, SCHEMES[scheme],
                'vod_segment_duration 2s; '
                + `vod_encryption ${scheme.replace(/-lead$/, '')}; `
                + (/-lead$/.test(scheme) ? LEAD : '')
                + `vod_encryption_key_file ${key}; `
                + 'vod_encryption_systems cenc widevine; '
                + 'vod_encryption_clearkey on;'));
        }
        context = await launchChromium(chromium, profile);
        const only = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY)
                     : null;
        // EME needs a secure context: http://127.0.0.1 is one
        const probe = await context.newPage();
        await probe.goto(`http://127.0.0.1:${PORT}/player/`);
        const cdm = await probe.evaluate(async () => {
            try {
                await navigator.requestMediaKeySystemAccess(
                    'org.w3.clearkey', [{
                        initDataTypes: ['cenc'],
                        videoCapabilities: [{ contentType:
                            'video/mp4; codecs="avc1.64001e"' }] }]);
                return 'yes';
            } catch (e) {
                return e.message;
            }
        });
        await probe.close();
        console.log(`chromium org.w3.clearkey with cenc init data: ${cdm}`);
        for (const c of CASES) {
            if (only && !only.test(c.name)) continue;
            if (!await runCase(context, c)) failed.push(c.name);
        }
    } catch (e) {
        console.log('FAIL e2e-drm: ' + e.message);
        failed.push('e2e-drm');
    } finally {
        if (context) await context.close().catch(() => {});
        for (const ng of origins) await stopNginx(ng);
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(`e2e-drm: ${failed.length ? 'FAIL' : 'PASS'} `
                + `(${failed.length} of ${CASES.length} cases failed`
                + `${failed.length ? ': ' + failed.join(', ') : ''})`);
    return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.log('FAIL e2e-drm: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
});
