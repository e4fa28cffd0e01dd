// seekbar.js: the player page's seek bar, with a preview of the frame at
// the time under the pointer taken from the title's tile sheets: the
// WebVTT thumbnail track tiles-{id}.vtt, whose cues each name a sheet and
// a tile in it (tiles-{id}-{n}.jpg#xywh=x,y,w,h; README, "Tile
// sheets").  Hover or drag over the bar to see the previews; click or
// drag to seek.  No library: the track is a few lines of text.
//
// The track is ?thumbs=URL, else the one of the video rendition of fewest
// pixels (the cheapest to decode, as the manifests' image tracks choose)
// among those tracks.json beside the manifest lists.  Without one (a
// location without thumbnails, tracks.json refused) the bar still seeks.
//
// State for e2e/thumbs.js in window.vodPlayer.thumbs:
//   .url     the track's URL, .cues the number of cues read, .error why
//            there are none; .shown {t, url, x, y, w, h} the last preview
(function () {
    'use strict';

    // "hh:mm:ss.mmm" or "mm:ss.mmm" in seconds
    function seconds(s) {
        return s.split(':').reduce(function (t, p) {
            return t * 60 + parseFloat(p);
        }, 0);
    }

    // the cues of a WebVTT thumbnail track, their sheets' URLs resolved
    // against the track's
    function parse(text, base) {
        var cues = [];
        text.split(/\r?\n\r?\n/).forEach(function (block) {
            var lines = block.split(/\r?\n/);
            for (var i = 0; i + 1 < lines.length; i++) {
                var m = /^(\S+)\s+-->\s+(\S+)/.exec(lines[i]);
                var ref = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/
                          .exec(lines[i + 1]);
                if (m && ref) {
                    cues.push({ start: seconds(m[1]), end: seconds(m[2]),
                                url: new URL(ref[1], base).href,
                                x: +ref[2], y: +ref[3],
                                w: +ref[4], h: +ref[5] });
                    break;
                }
            }
        });
        return cues;
    }

    // the track of the rendition of fewest pixels that tracks.json lists
    function track(src) {
        var dir = new URL('.', new URL(src, location.href)).href;
        return fetch(dir + 'tracks.json').then(function (r) {
            if (!r.ok) {
                throw new Error('tracks.json: ' + r.status);
            }
            return r.json();
        }).then(function (j) {
            var v = (j.video || []).slice().sort(function (a, b) {
                return a.width * a.height - b.width * b.height;
            });
            if (!v.length) {
                throw new Error('tracks.json lists no video');
            }
            return dir + 'tiles-' + v[0].id + '.vtt';
        });
    }

    function clock(t) {
        var s = Math.floor(t);
        return Math.floor(s / 60) + ':' + ('0' + s % 60).slice(-2);
    }

    window.vodSeekbar = function (video, src, thumbs, state) {
        var bar = document.getElementById('bar');
        var played = document.getElementById('played');
        var preview = document.getElementById('preview');
        var label = document.getElementById('preview-time');
        var cues = [];
        var dragging = false;

        state.thumbs = { url: null, cues: 0, error: null, shown: null };

        function duration() {
            if (isFinite(video.duration) && video.duration > 0) {
                return video.duration;
            }
            return cues.length ? cues[cues.length - 1].end : 0;
        }

        // the time under the pointer, and the bar's box
        function at(ev) {
            var box = bar.getBoundingClientRect();
            var f = Math.min(Math.max((ev.clientX - box.left) / box.width,
                                      0), 1);
            return { t: f * duration(), x: ev.clientX - box.left,
                     width: box.width };
        }

        function show(p) {
            var c = null;
            for (var i = 0; i < cues.length; i++) {
                if (p.t >= cues[i].start && p.t < cues[i].end) {
                    c = cues[i];
                    break;
                }
            }
            if (!c) {
                preview.style.display = 'none';
                return;
            }
            preview.style.width = c.w + 'px';
            preview.style.height = c.h + 'px';
            preview.style.backgroundImage = 'url("' + c.url + '")';
            preview.style.backgroundPosition = -c.x + 'px ' + -c.y + 'px';
            preview.style.left = Math.min(Math.max(p.x - c.w / 2, 0),
                                          p.width - c.w) + 'px';
            preview.style.display = 'block';
            label.textContent = clock(p.t);
            state.thumbs.shown = { t: p.t, url: c.url, x: c.x, y: c.y,
                                   w: c.w, h: c.h };
        }

        function seek(p) {
            if (duration() > 0) {
                video.currentTime = p.t;
            }
        }

        bar.addEventListener('pointermove', function (ev) {
            var p = at(ev);
            show(p);
            if (dragging) {
                seek(p);
            }
        });
        bar.addEventListener('pointerleave', function () {
            if (!dragging) {
                preview.style.display = 'none';
            }
        });
        bar.addEventListener('pointerdown', function (ev) {
            dragging = true;
            bar.setPointerCapture(ev.pointerId);
            seek(at(ev));
        });
        bar.addEventListener('pointerup', function (ev) {
            dragging = false;
            bar.releasePointerCapture(ev.pointerId);
            preview.style.display = 'none';
        });
        video.addEventListener('timeupdate', function () {
            var d = duration();
            played.style.width = (d > 0 ? 100 * video.currentTime / d : 0)
                                 + '%';
        });

        (thumbs ? Promise.resolve(new URL(thumbs, location.href).href)
                : track(src)).then(function (url) {
            state.thumbs.url = url;
            return fetch(url).then(function (r) {
                if (!r.ok) {
                    throw new Error(url + ': ' + r.status);
                }
                return r.text();
            }).then(function (text) {
                cues = parse(text, url);
                state.thumbs.cues = cues.length;
            });
        }).catch(function (e) {
            state.thumbs.error = String(e && e.message || e);
        });
    };
})();
