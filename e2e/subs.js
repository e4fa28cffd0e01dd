#!/usr/bin/env node
// e2e/subs.js: subtitles in real players (hls.js on the CMAF and the
// MPEG-TS multivariant playlists, dash.js on the MPD, Shaka Player on
// both playlists and the MPD) inside Debian's chromium, driven by
// playwright-core.
//
//   node e2e/subs.js
//
// Two titles of 30 s, each made once when its variable does not name
// one: tools/mkmedia-subs.sh's "subs" (build/e2e-subs-30s, E2E_SUBS_MEDIA),
// 360p.mp4 and sidecar WebVTT and SRT files; tools/mkmedia-text.sh's
// "text" (build/e2e-text-30s, E2E_TEXT_MEDIA), mov_text tracks in German
// and Japanese inside the MP4 files and a sidecar.  Cue text starts with
// the cue's start time.  Not shorter: Shaka Player places the cues of
// MPEG-TS HLS by the video's timestamp offset, which it learns from video
// appended after the text track is chosen; a title buffered whole before
// then shows none.  For each title and player: the player lists the
// subtitle tracks (name or label, language); one (English, German) is
// turned on; its cues reach the video element's text track at the times
// of the file counted from where the player put the first video frame
// (within 50 ms: the source's frame 0 is at 0; hls.js puts TS media 0.1 s
// in, the first DTS being 0.1 s before it); paused at 1.0 s and at 4.5 s
// the cue shown is the one of that time.  Any fatal player error fails
// the case.  Each case is bounded by CASE_TIMEOUT (60 s).
//
// Environment: E2E_PORT (8091), E2E_SUBS_MEDIA, E2E_TEXT_MEDIA, NGINX,
// CHROMIUM,
// CASE_TIMEOUT seconds (60).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {
    startOrigin, mediaDir, stopNginx, playwright, launchChromium, watchPage,
} = require('./lib');

const PORT = parseInt(process.env.E2E_PORT || '8091', 10);
const CASE_TIMEOUT = 1000 * parseInt(process.env.CASE_TIMEOUT || '60', 10);

// the titles: the tracks a player lists ("name|lang"), the one turned on
// and its cues as the files hold them ([start, end, text])
const TITLES = {
    // sidecar WebVTT and SRT files (tools/mkmedia-subs.sh)
    subs: {
        tracks: ['English|en', 'English (forced)|en', 'English SDH|en',
                 'Spanish (419)|es-419'],
        choose: 'English',
        cues: [
            [0.5, 1.4, '[0.5] Café crème, naïve façade'],
            [1.5, 2.5, '[1.5] Across the boundary – ünïcödé'],
            [4.0, 5.0, '[4.0] <i>Fin</i> 終わり'],
        ],
    },
    // mov_text tracks inside the MP4 files, a sidecar listed before them
    // (tools/mkmedia-text.sh)
    text: {
        tracks: ['English|en', 'German|de', 'Japanese|ja'],
        choose: 'German',
        cues: [
            [0.5, 1.4, '[0.5] Grüße aus Köln & Düsseldorf'],
            [1.5, 2.5, '[1.5] Über die Grenze'],
            [4.0, 5.0, '[4.0] Tschüß\nbis bald'],
        ],
    },
};

const CASES = [];
for (const title of Object.keys(TITLES)) {
    for (const [engine, kind, file] of [
        ['hls', 'hls-cmaf', 'master.m3u8'], ['hls', 'hls-ts', 'master-ts.m3u8'],
        ['dash', 'dash', 'manifest.mpd'],
        ['shaka', 'shaka-hls', 'master.m3u8'],
        ['shaka', 'shaka-hls-ts', 'master-ts.m3u8'],
        ['shaka', 'shaka-dash', 'manifest.mpd'],
    ]) {
        CASES.push({ name: `${title}-${kind}`, engine, title,
                     url: `/vod/${title}/${file}` });
    }
}

// a cue's text as the player gives it: hls.js and dash.js leave "&" as
// the WebVTT file escapes it
function cueText(t) {
    return t.replace(/&amp;/g, '&');
}

// polls fn(arg) in the page until it returns a true value, which it
// returns; throws with what and the page's fatal errors at the deadline
async function until(page, fn, arg, deadline, what) {
    for (;;) {
        const r = await page.evaluate(fn, arg);
        const errors = await page.evaluate(
            () => (window.vodPlayer ? window.vodPlayer.errors : []));
        if (errors.length) {
            throw new Error(`${what}: ${errors.join('; ')}`);
        }
        if (r) return r;
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((res) => setTimeout(res, 200));
    }
}

// the tracks the player lists, "name|lang"
function listTracks(engine) {
    const s = window.vodPlayer;
    if (engine === 'hls') {
        const t = s.hls ? s.hls.subtitleTracks : [];
        return t.length ? t.map((x) => `${x.name}|${x.lang}`) : null;
    }
    if (engine === 'shaka') {
        const t = s.ready ? s.shaka.getTextTracks() : [];
        return t.length ? t.map((x) => `${x.label}|${x.language}`) : null;
    }
    if (!s.dash || !s.ready) return null;
    const t = s.dash.getTracksFor('text');
    return t.length ? t.map((x) => `${(x.labels && x.labels[0]
        && x.labels[0].text) || '?'}|${x.lang}`) : null;
}

// turns the track named name on (dash.js: setCurrentTrack() does not
// switch text tracks, setTextTrack() with its index does)
function chooseTrack([engine, name]) {
    const s = window.vodPlayer;
    if (engine === 'hls') {
        s.hls.subtitleDisplay = true;
        s.hls.subtitleTrack = s.hls.subtitleTracks
            .findIndex((x) => x.name === name);
        return s.hls.subtitleTrack;
    }
    if (engine === 'shaka') {
        const t = s.shaka.getTextTracks();
        const i = t.findIndex((x) => x.label === name);
        s.shaka.selectTextTrack(t[i]);
        return i;
    }
    const t = s.dash.getTracksFor('text');
    const i = t.findIndex((x) => x.labels && x.labels[0]
                          && x.labels[0].text === name);
    s.dash.enableText(true);
    s.dash.setTextTrack(i);
    return i;
}

// the cues of the showing text track whose cues start with each of
// prefixes, when all are there: [[start, end, text]]
function chosenCues(prefixes) {
    const v = document.getElementById('video');
    for (const tt of v.textTracks) {
        if (tt.mode === 'disabled' || !tt.cues) continue;
        const c = Array.from(tt.cues).map((x) => [x.startTime, x.endTime,
                                                  x.text]);
        if (prefixes.every((p) => c.some((x) => x[2].startsWith(p)))) {
            return c;
        }
    }
    return null;
}

// pauses at t; once there, the text of the showing track's active cues
// (dash.js leaves the track it showed first hidden, not disabled)
async function shownAt(page, t, deadline) {
    await page.evaluate((at) => {
        const v = document.getElementById('video');
        v.pause();
        v.currentTime = at;
    }, t);
    return until(page, (at) => {
        const v = document.getElementById('video');
        if (v.seeking || Math.abs(v.currentTime - at) > 0.05) return null;
        for (const tt of v.textTracks) {
            if (tt.mode !== 'showing' || !tt.activeCues) continue;
            const a = Array.from(tt.activeCues).map((x) => x.text);
            if (a.length) return a;
        }
        return null;
    }, t, deadline, `a cue shown at ${t} s`);
}

async function runCase(context, c) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const deadline = Date.now() + CASE_TIMEOUT;
    try {
        const url = `http://127.0.0.1:${PORT}/player/?engine=${c.engine}`
                    + `&src=${encodeURIComponent(c.url)}`;
        await page.goto(url, { timeout: CASE_TIMEOUT });

        const t = TITLES[c.title];
        const tracks = await until(page, listTracks, c.engine, deadline,
                                   'the subtitle tracks');
        if (JSON.stringify(tracks) !== JSON.stringify(t.tracks)) {
            throw new Error(`tracks ${JSON.stringify(tracks)}, expected `
                            + JSON.stringify(t.tracks));
        }

        const i = await page.evaluate(chooseTrack, [c.engine, t.choose]);
        if (i < 0) throw new Error(`no ${t.choose} track to choose`);

        const cues = await until(page, chosenCues,
                                 t.cues.map((x) => x[2].slice(0, 5)),
                                 deadline, `the ${t.choose} cues`);
        // where the player put the video's first frame, the source's
        // time 0 (the buffered range starts with the video: the audio
        // starts before it)
        const zero = await page.evaluate(() => {
            const b = document.getElementById('video').buffered;
            return b.length ? b.start(0) : 0;
        });
        for (const [start, end, text] of t.cues) {
            const got = cues.find((x) => cueText(x[2]) === text);
            if (!got || Math.abs(got[0] - zero - start) > 0.05
                || Math.abs(got[1] - zero - end) > 0.05)
            {
                throw new Error(`cue "${text}" at `
                    + (got ? `${got[0]}-${got[1]}` : 'nowhere')
                    + `, expected ${start}-${end} after the first video `
                    + `frame at ${zero}`);
            }
        }

        const at1 = await shownAt(page, 1.0, deadline);
        const at4 = await shownAt(page, 4.5, deadline);
        if (cueText(at1.join('|')) !== t.cues[0][2]
            || cueText(at4.join('|')) !== t.cues[2][2])
        {
            throw new Error(`shown at 1.0 s: ${JSON.stringify(at1)}, at `
                            + `4.5 s: ${JSON.stringify(at4)}`);
        }

        console.log(`PASS ${c.name}: ${c.engine} ${c.url} lists `
            + `${tracks.length} subtitle tracks, the ${t.choose} cues at `
            + cues.map((x) => x[0].toFixed(3)).join(', ')
            + ` s (first video frame at ${zero.toFixed(3)} s), the right `
            + 'one shown at 1.0 s and 4.5 s');
        return true;
    } catch (e) {
        console.log(`FAIL ${c.name}: ${c.engine} ${c.url}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
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
    const failed = [];
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vodedge-subs-'));
    try {
        // both titles under one /vod/: links to where each was made
        const media = path.resolve(__dirname, '..', 'build',
                                   'e2e-subs-titles');
        fs.rmSync(media, { recursive: true, force: true });
        fs.mkdirSync(media, { recursive: true });
        fs.symlinkSync(path.join(mediaDir('E2E_SUBS_MEDIA', 'e2e-subs-30s',
                                          'mkmedia-subs.sh', 30), 'subs'),
                       path.join(media, 'subs'));
        fs.symlinkSync(path.join(mediaDir('E2E_TEXT_MEDIA', 'e2e-text-30s',
                                          'mkmedia-text.sh', 30), 'text'),
                       path.join(media, 'text'));
        ng = await startOrigin('e2e-subs-nginx', media, PORT,
                               'vod_segment_duration 2s;');
        context = await launchChromium(chromium, profile);
        for (const c of CASES) {
            if (!await runCase(context, c)) failed.push(c.name);
        }
    } catch (e) {
        console.log('FAIL e2e-subs: ' + e.message);
        failed.push('e2e-subs');
    } finally {
        if (context) await context.close().catch(() => {});
        await stopNginx(ng);
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(`e2e-subs: ${failed.length ? 'FAIL' : 'PASS'} `
                + `(${failed.length} of ${CASES.length} cases failed`
                + `${failed.length ? ': ' + failed.join(', ') : ''})`);
    return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.log('FAIL e2e-subs: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
});
