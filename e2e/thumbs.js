#!/usr/bin/env node
// e2e/thumbs.js: the tile sheets' image track in real players in Debian's
// chromium, driven by playwright-core, at a location with
// "vod_thumbnails on" and "vod_thumbnail_manifests dash hls":
//
//   thumbs-shaka-dash   Shaka Player loads the MPD, lists the DASH-IF
//                       thumbnail-tile track (player.getImageTracks():
//                       3x2 tiles, a tile's size) and, for a few times,
//                       gives the thumbnail of that time
//                       (player.getThumbnails()): the sheet
//                       tiles-{id}-{n}.jpg holding it and the tile's
//                       place and size within it, as the layout of
//                       vod_tiles.h says; each sheet named is fetched from
//                       the page: 200, image/jpeg, a JPEG of the sheet's
//                       size
//   thumbs-shaka-hls    the same from master.m3u8's image playlist
//                       (EXT-X-IMAGE-STREAM-INF, EXT-X-TILES)
//   thumbs-hlsjs-plays  hls.js, which reads no image playlists, plays
//                       master.m3u8 naming one past 2 s with no error
//   thumbs-dashjs-plays dash.js plays the MPD with its image set past 2 s
//                       with no error
//   iframes-hlsjs       with "vod_iframe_playlists hls dash" too: hls.js
//                       lists master.m3u8's EXT-X-I-FRAME-STREAM-INF in
//                       hls.iframeVariants (one per rendition, its
//                       iframe-{id}.m3u8, bit rate, codec and size) and
//                       plays the playlist past 2 s with no error
//   iframes-dashjs-plays dash.js plays the MPD with its trick-mode set
//                       past 2 s with no error (and Shaka Player, in
//                       thumbs-shaka-dash, the same MPD)
//   thumbs-player-seekbar  the player page's seek bar (e2e/www/seekbar.js)
//                       reads tiles-360p.vtt (found through tracks.json);
//                       the pointer over the bar at a few times shows a
//                       preview whose background is the sheet and tile
//                       of that time, the sheet loaded by the browser;
//                       a click on the bar seeks there
//
//   node e2e/thumbs.js
//
// The title: demo of tools/mkmedia.sh's titles (E2E_MEDIA, else
// build/media made once), 8 s; 3 x 2 tiles of 160 x 90 a second: two
// sheets of 480 x 180.
//
// Environment: E2E_PORT (8093), E2E_MEDIA, NGINX, CHROMIUM,
// CASE_TIMEOUT seconds (60).

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const {
    startOrigin, mediaDir, stopNginx, playwright, launchChromium, watchPage,
    waitFor,
} = require('./lib');

const PORT = parseInt(process.env.E2E_PORT || '8093', 10);
const CASE_TIMEOUT = 1000 * parseInt(process.env.CASE_TIMEOUT || '60', 10);

const COLS = 3;
const ROWS = 2;
const TILE_W = 160;
const TILE_H = 90;
const INTERVAL = 1;                   /* seconds */
const ID = '360p';                    /* the rendition of fewest pixels */
const TIMES = [0.5, 2.5, 4.2, 5.9, 6.1, 7.5];

// where the tile of time t is: its sheet's name and its place
function expected(t) {
    const i = Math.floor(t / INTERVAL);
    const k = i % (COLS * ROWS);
    return {
        sheet: `tiles-${ID}-${Math.floor(i / (COLS * ROWS)) + 1}.jpg`,
        x: (k % COLS) * TILE_W,
        y: Math.floor(k / COLS) * TILE_H,
        width: TILE_W,
        height: TILE_H,
    };
}

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

// the image tracks Shaka lists once it has loaded the manifest
function imageTracks() {
    const s = window.vodPlayer;
    if (!s.ready || !s.shaka) return null;
    return s.shaka.getImageTracks().map((t) => ({
        id: t.id, width: t.width, height: t.height,
        tilesLayout: t.tilesLayout, mimeType: t.mimeType,
    }));
}

// Shaka's thumbnail at each time, its sheet fetched
async function thumbnails([id, times]) {
    const out = [];
    for (const t of times) {
        const th = await window.vodPlayer.shaka.getThumbnails(id, t);
        if (!th) {
            out.push({ t, none: true });
            continue;
        }
        const uri = th.uris[0];
        const r = await fetch(uri);
        const blob = await r.blob();
        const bmp = await createImageBitmap(blob);
        out.push({
            t, uri, x: th.positionX, y: th.positionY, width: th.width,
            height: th.height, status: r.status,
            type: r.headers.get('content-type'),
            image: `${bmp.width}x${bmp.height}`,
        });
    }
    return out;
}

async function runShaka(context, name, url) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const deadline = Date.now() + CASE_TIMEOUT;
    try {
        await page.goto(`http://127.0.0.1:${PORT}/player/?engine=shaka&src=`
                        + encodeURIComponent(url));
        const tracks = await until(page, imageTracks, null, deadline,
                                   'Shaka\'s image tracks');
        if (tracks.length !== 1) {
            throw new Error(`image tracks: ${JSON.stringify(tracks)}`);
        }
        const tr = tracks[0];
        // Shaka's track of the MPD: a tile's size (the Representation's
        // over the layout) and the layout; of an HLS image playlist: the
        // sheet's (EXT-X-IMAGE-STREAM-INF's RESOLUTION, a tile's, times
        // the layout of EXT-X-TILES), the layout per sheet only
        const hls = url.endsWith('.m3u8');
        if ((hls ? tr.width !== COLS * TILE_W || tr.height !== ROWS * TILE_H
                 : tr.tilesLayout !== `${COLS}x${ROWS}`
                   || tr.width !== TILE_W || tr.height !== TILE_H)
            || tr.mimeType !== 'image/jpeg')
        {
            throw new Error(`image track: ${JSON.stringify(tr)}`);
        }
        const got = await page.evaluate(thumbnails, [tr.id, TIMES]);
        const bad = [];
        for (const g of got) {
            const e = expected(g.t);
            if (g.none
                || !g.uri.endsWith(`/vod/demo/${e.sheet}`)
                || g.x !== e.x || g.y !== e.y || g.width !== e.width
                || g.height !== e.height || g.status !== 200
                || g.type !== 'image/jpeg'
                || g.image !== `${COLS * TILE_W}x${ROWS * TILE_H}`)
            {
                bad.push(`at ${g.t} s: ${JSON.stringify(g)}, expected `
                         + JSON.stringify(e));
            }
        }
        if (bad.length) {
            throw new Error(bad.join('; '));
        }
        console.log(`PASS ${name}: ${url} has image track `
            + `${tr.id} ${tr.tilesLayout} ${tr.width}x${tr.height}; `
            + got.map((g) => `${g.t}s -> ${path.basename(g.uri)} `
                             + `${g.x},${g.y} ${g.width}x${g.height}`)
                .join(', ')
            + '; each sheet 200 image/jpeg of the sheet\'s size');
        return true;
    } catch (e) {
        console.log(`FAIL ${name}: ${url}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        return false;
    } finally {
        await page.close().catch(() => {});
    }
}

// a player that shows no thumbnails of the manifest (hls.js, dash.js
// here) plays it with the image track in it: past 2 s with no fatal or
// non-fatal error
async function runPlays(context, name, url) {
    const engine = url.endsWith('.mpd') ? 'dash' : 'hls';
    const page = await context.newPage();
    const notes = watchPage(page);
    const deadline = Date.now() + CASE_TIMEOUT;
    try {
        await page.goto(`http://127.0.0.1:${PORT}/player/?engine=${engine}`
                        + `&src=${encodeURIComponent(url)}`);
        const body = await page.evaluate(async (u) => (await fetch(u)).text(),
                                         url);
        if (!/^#EXT-X-IMAGE-STREAM-INF:|contentType="image"/m.test(body)) {
            throw new Error('no image track in the manifest');
        }
        if (name.startsWith('iframes-')
            && !/^#EXT-X-I-FRAME-STREAM-INF:|guidelines\/trickmode/m
                .test(body))
        {
            throw new Error('no I-frame stream in the manifest');
        }
        const st = await waitFor(page, (x) => x.t > 2, deadline,
                                 `${engine} playing past 2 s`);
        console.log(`PASS ${name}: ${engine} plays ${url} (which names `
                    + `the image track) to ${st.t.toFixed(2)} s, no error`);
        return true;
    } catch (e) {
        console.log(`FAIL ${name}: ${url}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        return false;
    } finally {
        await page.close().catch(() => {});
    }
}

// hls.js's I-frame variants of master.m3u8, while it plays it
async function runIframes(context, name, url) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const deadline = Date.now() + CASE_TIMEOUT;
    try {
        await page.goto(`http://127.0.0.1:${PORT}/player/?engine=hls`
                        + `&src=${encodeURIComponent(url)}`);
        const st = await waitFor(page, (x) => x.t > 2, deadline,
                                 'hls.js playing past 2 s');
        const v = await page.evaluate(() => window.vodPlayer.hls
            .iframeVariants.map((l) => ({
                url: l.url, bitrate: l.bitrate, codec: l.videoCodec,
                size: `${l.width}x${l.height}`,
            })));
        const levels = await page.evaluate(() => window.vodPlayer.hls
            .levels.map((l) => `${l.width}x${l.height}`));
        const ids = ['1080p', '720p', '360p'];
        if (v.length !== ids.length
            || v.some((l, i) => !l.url.endsWith(`/vod/demo/iframe-${ids[i]}`
                                                + '.m3u8')
                                || !(l.bitrate > 0)
                                || !/^avc1\./.test(l.codec || '')
                                || !levels.includes(l.size)))
        {
            throw new Error(`iframeVariants: ${JSON.stringify(v)}`);
        }
        console.log(`PASS ${name}: hls.js lists ${v.length} I-frame `
            + 'variants (' + v.map((l) => `${path.basename(l.url)} `
                                          + `${l.bitrate} ${l.size}`)
                .join(', ')
            + `) and plays ${url} to ${st.t.toFixed(2)} s, no error`);
        return true;
    } catch (e) {
        console.log(`FAIL ${name}: ${url}: ${e.message}`);
        for (const n of notes.slice(0, 10)) console.log('    ' + n);
        return false;
    } finally {
        await page.close().catch(() => {});
    }
}

// the seek bar's preview with the pointer at time t (e2e/www/seekbar.js),
// and whether it is up showing a tile of sheet, fetched: one snapshot, so
// that a pointerleave between a check and a look cannot split them
function previewShown(sheet) {
    const el = document.getElementById('preview');
    const cs = getComputedStyle(el);
    const s = window.vodPlayer.thumbs.shown;
    const loaded = performance.getEntriesByType('resource')
        .some((e) => s && e.name === s.url);
    return {
        display: cs.display, image: cs.backgroundImage,
        position: cs.backgroundPosition, width: cs.width,
        height: cs.height, shown: s, loaded,
        up: el.style.display === 'block' && !!s && s.url.endsWith(sheet)
            && loaded,
    };
}

async function runSeekbar(context, name, url) {
    const page = await context.newPage();
    const notes = watchPage(page);
    const deadline = Date.now() + CASE_TIMEOUT;
    try {
        await page.goto(`http://127.0.0.1:${PORT}/player/?engine=hls&src=`
                        + encodeURIComponent(url));
        const ready = await until(page, () => {
            const s = window.vodPlayer;
            const v = document.getElementById('video');
            if (s.thumbs && s.thumbs.error) {
                throw new Error(s.thumbs.error);
            }
            return s.ready && s.thumbs && s.thumbs.cues > 0 && v.duration > 0
                   ? { cues: s.thumbs.cues, url: s.thumbs.url,
                       duration: v.duration } : null;
        }, null, deadline, 'the seek bar\'s thumbnail track');
        if (!ready.url.endsWith(`/vod/demo/tiles-${ID}.vtt`)) {
            throw new Error(`track ${ready.url}`);
        }
        // the pointer over the bar at t; moved again while the preview
        // is not up: the page's layout may still move the bar away from
        // under it as the player sizes the video (the preview then hides
        // on pointerleave, as it should)
        const hover = async (t, sheet) => {
            for (;;) {
                const box = await page.locator('#bar').boundingBox();
                await page.mouse.move(box.x + box.width * t / ready.duration,
                                      box.y + box.height / 2);
                const p = await page.evaluate(previewShown, sheet);
                if (p.up) return p;
                if (Date.now() > deadline) {
                    throw new Error(`no preview at ${t} s: `
                                    + JSON.stringify(p));
                }
                await new Promise((res) => setTimeout(res, 200));
            }
        };
        const bad = [];
        const seen = [];
        for (const t of [0.5, 2.5, 5.9, 7.5]) {
            const e = expected(t);
            const p = await hover(t, e.sheet);
            if (p.display !== 'block'
                || !p.image.includes(`/vod/demo/${e.sheet}`)
                || p.position !== `${-e.x}px ${-e.y}px`
                || p.width !== `${e.width}px` || p.height !== `${e.height}px`
                || !p.loaded)
            {
                bad.push(`at ${t} s: ${JSON.stringify(p)}, expected `
                         + JSON.stringify(e));
            }
            seen.push(`${t}s -> ${e.sheet} ${-e.x}px ${-e.y}px`);
        }
        const box = await page.locator('#bar').boundingBox();
        await page.mouse.click(box.x + box.width * 5.5 / ready.duration,
                               box.y + box.height / 2);
        const at = await until(page, () => {
            const v = document.getElementById('video');
            return Math.abs(v.currentTime - 5.5) < 0.5 ? v.currentTime : null;
        }, null, deadline, 'the click on the bar to seek to 5.5 s');
        if (bad.length) {
            throw new Error(bad.join('; '));
        }
        console.log(`PASS ${name}: the player's seek bar reads `
            + `${path.basename(ready.url)} (${ready.cues} cues) and `
            + `previews ${seen.join(', ')}, each sheet loaded; a click `
            + `seeks to ${at.toFixed(2)} s`);
        return true;
    } catch (e) {
        console.log(`FAIL ${name}: ${url}: ${e.message}`);
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
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vodedge-thumbs-'));
    try {
        const media = mediaDir('E2E_MEDIA', 'media', 'mkmedia.sh', 8);
        ng = await startOrigin('e2e-thumbs-nginx', media, PORT,
                               'vod_thumbnails on; aio threads;'
                               + ` vod_thumbnail_tiles ${COLS}x${ROWS};`
                               + ` vod_thumbnail_tile_interval ${INTERVAL}s;`
                               + ` vod_thumbnail_tile_width ${TILE_W};`
                               + ' vod_thumbnail_manifests dash hls;'
                               + ' vod_iframe_playlists hls dash;');
        context = await launchChromium(chromium, profile);
        for (const [name, run, url] of [
            ['thumbs-shaka-dash', runShaka, '/vod/demo/manifest.mpd'],
            ['thumbs-shaka-hls', runShaka, '/vod/demo/master.m3u8'],
            ['thumbs-hlsjs-plays', runPlays, '/vod/demo/master.m3u8'],
            ['thumbs-dashjs-plays', runPlays, '/vod/demo/manifest.mpd'],
            ['iframes-hlsjs', runIframes, '/vod/demo/master.m3u8'],
            ['iframes-dashjs-plays', runPlays, '/vod/demo/manifest.mpd'],
            ['thumbs-player-seekbar', runSeekbar, '/vod/demo/master.m3u8'],
        ]) {
            if (!await run(context, name, url)) failed.push(name);
        }
    } catch (e) {
        console.log('FAIL e2e-thumbs: ' + e.message);
        failed.push('e2e-thumbs');
    } finally {
        if (context) await context.close().catch(() => {});
        await stopNginx(ng);
        fs.rmSync(profile, { recursive: true, force: true });
    }
    console.log(`e2e-thumbs: ${failed.length ? 'FAIL' : 'PASS'}`
                + (failed.length ? ` (${failed.join(', ')})` : ''));
    return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
    console.log('FAIL e2e-thumbs: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
});
