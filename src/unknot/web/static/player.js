// The session in the browser: the screen, sound and outbox around the player (session.js,
// loaded first), which runs on the page's own clock, so the session goes on to the end with the
// network gone. Voice clips are fetched before they are needed; what plays is the clip of the
// current step from the point reached, so pause, skip and back keep voice and screen in step.
// Records go to the server through an outbox kept in localStorage, sent again until the server
// has them.
"use strict";

const OUTBOX = "unknot.outbox";
const SAVED = "unknot.session"; // the session under way, to carry on with after a reload
const SAVED_HOURS = 12; // a session left longer than this is not offered again
const $ = (id) => document.getElementById(id);

function clock(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// A random (version 4) UUID; crypto.randomUUID is missing outside secure contexts, which a
// phone on plain http over the local network is not.
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// -- records: kept until the server has them ---------------------------------------------------
const outbox = {
  items() { try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch { return []; } },
  save(items) { localStorage.setItem(OUTBOX, JSON.stringify(items)); },
  sending: false,
  add(url, body) { const items = this.items(); items.push({ url, body }); this.save(items); this.flush(); },
  async flush() {
    if (this.sending) return;
    this.sending = true;
    try {
      for (let items = this.items(); items.length; items = this.items()) {
        let response;
        try {
          response = await fetch(items[0].url, {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify(items[0].body), credentials: "same-origin",
          });
        } catch { break; } // offline: try again later
        if (!response.ok && response.status < 500 && response.status !== 403) {
          console.warn(`unknot: the server refused a record (${response.status})`);
        } else if (!response.ok) break;
        this.save(this.items().slice(1));
      }
    } finally { this.sending = false; }
    // Said plainly: nothing is lost while the server cannot be reached.
    $("saved").textContent = this.items().length
      ? "Kept on this phone: it reaches your history when the server can be reached again." : "";
  },
};

// -- the session under way: kept on every tick, so a reload (a phone that slept, a closed tab)
// comes back to it, as one session, under the same id ------------------------------------------
const saved = {
  read(query) {
    try {
      const kept = JSON.parse(localStorage.getItem(SAVED) || "null");
      if (kept && kept.query === query && typeof kept.uid === "string" && Date.now() - kept.savedAt < SAVED_HOURS * 3600e3) return kept;
    } catch { /* unreadable: nothing to carry on with */ }
    return null;
  },
  write(uid, query, player, before) {
    const kept = { uid, query, savedAt: Date.now(), player: player.state(), before };
    try { localStorage.setItem(SAVED, JSON.stringify(kept)); } catch { /* storage full */ }
  },
  clear() { localStorage.removeItem(SAVED); },
};

// -- sound -------------------------------------------------------------------------------------
class Sound {
  constructor(entries, music) {
    this.entries = entries;
    this.enabled = entries.some((e) => e.clip);
    this.buffers = new Map();
    this.sources = [];
    this.playing = "";
    this.musicUrl = music;
    this.music = null; // the looped source and its gain, once the music is loaded and begun
    this.musicBuffer = null;
    this.context = this.enabled || music ? new AudioContext() : null;
    this.onReady = () => {};
  }
  async load(status) {
    if (this.enabled) await this.loadVoice(status);
    else status("");
    if (!this.musicUrl) return;
    try {
      const response = await fetch(this.musicUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      this.musicBuffer = await this.context.decodeAudioData(await response.arrayBuffer());
      this.onReady(-1);
    } catch (error) {
      status(`Music could not be loaded (${error.message}); the voice goes on`);
    }
  }
  async loadVoice(status) {
    let ready = 0;
    for (const entry of this.entries) {
      try {
        const response = await fetch(entry.clip, { credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const buffer = await this.context.decodeAudioData(await response.arrayBuffer());
        this.buffers.set(entry.index, buffer);
        ready += 1;
        status(ready === this.entries.length ? "Voice ready" : `Voice: ${ready} of ${this.entries.length} steps ready`);
        this.onReady(entry.index);
      } catch (error) {
        status(`Voice: step ${entry.index + 1} could not be loaded (${error.message}); the timer goes on`);
      }
    }
  }
  stop() {
    for (const source of this.sources) { try { source.stop(); } catch { /* already ended */ } }
    this.sources = [];
    this.playing = "";
  }
  play(buffer, delay, offset, duration) {
    if (duration <= 0.01) return;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    source.start(this.context.currentTime + Math.max(0, delay), offset, duration);
    this.sources.push(source);
  }
  // When the words of the current step are said, in seconds from its move's start, as the hold
  // now lasts: each cue after the one before it (a breath between), the count against the end.
  static spans(entry, end) {
    const planned = entry.transition_seconds + entry.hold_seconds;
    const spans = [];
    let free = 0;
    for (const cue of entry.cues) {
      if (cue.kind === "enter" || !cue.speaking_seconds) continue; // the screen's words
      let at = entry.transition_seconds + cue.offset_seconds;
      if (cue.from_end) at = end - (planned - at);
      else at = Math.max(at, free);
      spans.push([at, at + cue.speaking_seconds]);
      free = at + cue.speaking_seconds + Sound.BREATH_SECONDS;
    }
    return spans;
  }
  // How loud the music is now, as a share of its level between cues: 0 when the session is
  // not playing, lower by DUCK_LU under speech (the server set it MUSIC_BELOW_VOICE LU under
  // the voice), faded in at the start and out over the session's last seconds.
  musicLevel(player) {
    if (!this.musicUrl || !player.started || player.finished || player.paused || player.speed !== 1) return 0;
    const at = player.position() - player.begins;
    const under = Sound.spans(player.entry, player.deadline - player.begins)
      .some(([from, to]) => from - Sound.DUCK_RAMP <= at && at < to + Sound.DUCK_RAMP);
    return under ? 10 ** (-Sound.DUCK_LU / 20) : 1;
  }
  // The music's gain from now to the end of the step, scheduled on the audio clock.
  duck(player) {
    if (!this.musicBuffer) return;
    const now = this.context.currentTime;
    if (!this.music) {
      const gain = this.context.createGain();
      gain.gain.value = 0;
      gain.connect(this.context.destination);
      const source = this.context.createBufferSource();
      Object.assign(source, { buffer: this.musicBuffer, loop: true });
      source.connect(gain);
      source.start();
      this.music = { source, gain };
    }
    const level = this.music.gain.gain;
    level.cancelScheduledValues(now);
    level.setValueAtTime(level.value, now);
    if (this.musicLevel(player) === 0) { level.setTargetAtTime(0, now, 0.25); return; }
    const at = player.position() - player.begins;
    const end = player.deadline - player.begins;
    const under = 10 ** (-Sound.DUCK_LU / 20);
    // From silence (the start, or after a pause) the music comes in over a few seconds.
    level.setTargetAtTime(1, now, level.value < 0.05 ? Sound.FADE_IN / 3 : 0.1);
    for (const [from, to] of Sound.spans(player.entry, end)) {
      if (to + Sound.DUCK_RAMP <= at) continue;
      level.setTargetAtTime(under, now + Math.max(0, from - Sound.DUCK_RAMP - at), Sound.DUCK_RAMP / 3);
      level.setTargetAtTime(1, now + Math.max(0, to - at), Sound.DUCK_RAMP);
    }
    if (player.index === this.entries.length - 1) {
      level.setTargetAtTime(0, now + Math.max(0, end - Sound.FADE_OUT - at), Sound.FADE_OUT / 3);
    }
  }
  // The session is over: the music fades out, the voice stops.
  end() {
    this.stop();
    if (!this.music) return;
    const { source, gain } = this.music;
    const now = this.context.currentTime;
    gain.gain.cancelScheduledValues(now);
    gain.gain.setTargetAtTime(0, now, 0.8);
    source.stop(now + 4);
    this.music = null;
  }
  // Play the current step's clip from where the player is. The words counted from the hold's
  // end (the count, the closing words) are played where the hold now ends, after + or -, and
  // words that would run into the count are left unsaid, as the terminal does (playback.py).
  follow(player) {
    this.stop();
    this.duck(player);
    if (!this.enabled || player.finished || player.paused || player.speed !== 1) return;
    const entry = player.entry;
    const buffer = this.buffers.get(entry.index);
    if (!buffer) return;
    const at = Math.max(0, player.position() - player.begins);
    const planned = entry.transition_seconds + entry.hold_seconds;
    const end = player.deadline - player.begins;
    const start = (cue) => entry.transition_seconds + cue.offset_seconds;
    const fromEnd = entry.cues.filter((c) => c.from_end);
    let stop = Math.min(buffer.duration, ...fromEnd.map(start));
    if (end < planned) {
      const clear = end - Sound.COUNT_SECONDS - Sound.BREATH_SECONDS;
      const late = entry.cues.find((c) => !c.from_end && start(c) + c.speaking_seconds > clear && start(c) >= 0);
      if (late) stop = Math.min(stop, start(late));
    }
    this.play(buffer, 0, at, Math.min(stop, end) - at);
    fromEnd.forEach((cue, n) => {
      const from = start(cue);
      const until = n + 1 < fromEnd.length ? start(fromEnd[n + 1]) : buffer.duration;
      const moved = end - (planned - from); // the same seconds before the hold's end as planned
      const skip = Math.max(0, at - moved);
      this.play(buffer, moved - at, from + skip, until - from - skip);
    });
    this.playing = `${entry.index}@${at.toFixed(1)}`;
  }
}
Sound.COUNT_SECONDS = 3;
Sound.BREATH_SECONDS = 0.6;
Sound.DUCK_LU = 10; // the music under speech, below its level between cues (track.py's too)
Sound.DUCK_RAMP = 0.35;
Sound.FADE_IN = 4;
Sound.FADE_OUT = 8;

// -- keeping the screen on ----------------------------------------------------------------------
const awake = {
  lock: null,
  video: null,
  async hold() {
    if ("wakeLock" in navigator) {
      try { this.lock = await navigator.wakeLock.request("screen"); return "wake lock"; } catch { /* refused */ }
    }
    // Fallback where the Wake Lock API is missing (plain http on the local network): a playing
    // muted video keeps phones awake; it shows a still frame drawn on a canvas.
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 2;
    if (!canvas.captureStream) return "none";
    canvas.getContext("2d").fillRect(0, 0, 2, 2); // a stream has frames once something is drawn
    this.video = document.createElement("video");
    Object.assign(this.video, { muted: true, playsInline: true, loop: true });
    this.video.setAttribute("playsinline", "");
    this.video.className = "keep-awake";
    this.video.srcObject = canvas.captureStream(1);
    document.body.append(this.video);
    try { await this.video.play(); return "video"; } catch { return "none"; }
  },
  release() {
    if (this.lock) this.lock.release().catch(() => {});
    if (this.video) { this.video.pause(); this.video.remove(); }
    this.lock = this.video = null;
  },
};

// The closing line: the first sentence as it always was, then what was not done, if anything
// (each step once: a step done again after "back" counts by its best try).
function summaryText(player, session) {
  const steps = session.entries.length;
  const { records } = player.summary();
  const tally = (counted) => {
    const parts = [];
    for (const outcome of ["done", "cut short", "skipped"]) {
      const n = counted.filter((r) => r.outcome === outcome).length;
      if (n) parts.push(`${n} ${outcome}`);
    }
    return parts.length ? ` ${parts.join(", ")}.` : "";
  };
  if (player.quitEarly) {
    // The step stopped at is said already; the count is of the others.
    return `Stopped at step ${player.index + 1} of ${steps}.${tally(records.filter((r) => r.index !== player.index))}`;
  }
  const head = `Session complete: ${steps} steps, ${session.total}.`;
  return records.every((r) => r.outcome === "done") ? head : `${head}${tally(records)}`;
}

// -- the screen ----------------------------------------------------------------------------------
function main() {
  const session = JSON.parse($("session-data").textContent);
  const root = $("player");
  const speed = Number(root.dataset.speed) || 1;
  let uid = newId();
  let base = `/api/sessions/${uid}`;
  const options = {
    speed,
    onRecord: (record) => outbox.add(`${base}/step`, { query: session.query, ...record }),
  };
  let player = new Player(session.entries, options);
  let before = {}; // the ratings given before the session, and after it
  let after = {};
  // A session of this plan under way when the page was last closed: offered to carry on with.
  let earlier = saved.read(session.query);
  try { if (earlier) Player.resumed(session.entries, earlier.player, options); } catch { earlier = null; saved.clear(); }
  // Clips are fetched at any speed (so a practice run proves they are there), heard at 1 only.
  const sound = new Sound(session.entries, session.music);
  if (session.music) root.dataset.music = "off";
  const ring = $("ring");
  const circumference = 2 * Math.PI * Number(ring.getAttribute("r"));
  ring.setAttribute("stroke-dasharray", circumference.toFixed(1));
  let shown = -1;
  let timer = null;
  const guide = $("guide");
  // The stylesheet sizes the figure from its own aspect (the SVG's, read once it is drawn) and
  // keeps the page clear of the fixed controls by their real height (they hold "Next:" and,
  // paused, "End the session", so it changes).
  $("figure").addEventListener("load", () => {
    const figure = $("figure");
    if (figure.naturalWidth && figure.naturalHeight) {
      guide.style.setProperty("--figure-ratio", (figure.naturalWidth / figure.naturalHeight).toFixed(4));
    }
  });
  const controls = guide.querySelector(".controls");
  const reserve = () => guide.style.setProperty("--bar", `${Math.ceil(controls.getBoundingClientRect().height)}px`);
  if ("ResizeObserver" in window) new ResizeObserver(reserve).observe(controls);

  sound.onReady = (index) => {
    if (index === -1 && player.started) sound.duck(player); // the music, loaded last
    else if (index === player.index && player.started && !sound.playing) sound.follow(player);
  };
  sound.load((text) => { $("loading").textContent = text; });
  // Every figure fetched now, while there is a network (and kept by the service worker).
  const figures = session.entries.flatMap((e) => [e.figure, e.move_figure]).filter(Boolean);
  for (const figure of new Set(figures)) {
    new Image().src = figure;
  }
  // And kept on the phone (offline.js), with the clips and the plan, for a reload with no network.
  const clips = session.entries.map((e) => e.clip).filter(Boolean);
  const needed = [...clips, ...new Set(figures), `/plan?${session.query}`, ...(session.music ? [session.music] : [])];
  $("offline").textContent = "Keeping this session for use offline…";
  keepOffline(needed).then(({ failed, unavailable }) => {
    const files = `${session.entries.length} steps: ${new Set(figures).size} figures${clips.length ? `, ${clips.length} voice clips` : ""}`;
    $("offline").textContent = unavailable
      ? "Not kept for use offline: a browser keeps pages only over https or on the computer serving them"
      : failed.length ? `Kept for use offline, apart from ${failed.length} files that could not be fetched`
        : `Kept on this device for use offline: the page and its ${files}`;
    root.dataset.offline = unavailable ? "unavailable" : failed.length ? "partial" : "kept";
  });
  outbox.flush();
  window.addEventListener("online", () => outbox.flush());
  setInterval(() => outbox.flush(), 5000);

  function ratings(form) {
    const values = {};
    for (const input of form.querySelectorAll("input[type=range]")) {
      if (input.dataset.touched) values[input.name] = Number(input.value);
    }
    return values;
  }
  for (const input of document.querySelectorAll("input[type=range]")) {
    const output = $(`${input.id}-value`);
    input.addEventListener("input", () => { input.dataset.touched = "1"; output.textContent = input.value; });
  }

  // The browser's Media Session: the pose as the title on the lock screen, and its play, pause,
  // next and previous buttons (and a headset's) work the player as the page's buttons do.
  const media = "mediaSession" in navigator ? navigator.mediaSession : null;
  function showMedia(entry) {
    if (!media || typeof MediaMetadata === "undefined") return;
    const side = entry.side_label ? `, ${entry.side_label}` : "";
    media.metadata = new MediaMetadata({
      title: `${entry.name}${side}`, artist: `Step ${entry.index + 1} of ${session.entries.length}`,
      album: session.title, artwork: entry.figure ? [{ src: entry.figure, type: "image/svg+xml" }] : [],
    });
  }
  if (media) {
    const press = (id) => () => { if (!$("guide").hidden && !closed) $(id).click(); };
    const handlers = {
      play: () => { if (player.paused) press("pause")(); },
      pause: () => { if (!player.paused) press("pause")(); },
      nexttrack: press("skip"), previoustrack: press("back"),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { media.setActionHandler(action, handler); } catch { /* not offered here */ }
    }
  }

  function announce(entry) {
    const side = entry.side_label ? `, ${entry.side_label}` : "";
    $("live").textContent = `Step ${entry.index + 1} of ${session.entries.length}: ${entry.name}${side}. Hold ${entry.hold_seconds} seconds.`;
  }

  function draw() {
    const moved = player.tick().length > 0;
    if (player.finished) { finish(); return; }
    const entry = player.entry;
    if (moved || shown !== entry.index) {
      if (moved) sound.follow(player);
      shown = entry.index;
      $("pose").textContent = entry.name;
      $("side").textContent = entry.side_label.toUpperCase();
      const figure = $("figure");
      if (entry.figure) {
        figure.alt = `${entry.name}${entry.side_label ? `, ${entry.side_label}` : ""}`;
        figure.hidden = false;
      } else { figure.hidden = true; figure.removeAttribute("src"); }
      // A custom step (the article's own pose, not in the catalog) has no figure: a panel
      // with its name says so, where the figure would be.
      $("no-figure").hidden = !entry.custom;
      $("no-figure-name").textContent = entry.custom ? entry.name : "";
      $("key").textContent = "";
      $("step").textContent = `Step ${entry.index + 1} of ${session.entries.length}`;
      const next = session.entries[entry.index + 1];
      $("next").textContent = next ? `Next: ${next.name}${next.side_label ? `, ${next.side_label}` : ""}` : "Next: the end";
      announce(entry);
      showMedia(entry);
    }
    const snap = player.snapshot();
    const left = snap.phaseLeft;
    const span = snap.inHold ? snap.hold : entry.transition_seconds; // the hold as + and - left it
    $("count").textContent = String(Math.ceil(left));
    const phase = snap.paused ? "paused" : snap.inHold ? "hold" : "move";
    $("phase").textContent = { paused: "PAUSED", hold: "HOLD", move: "MOVE INTO POSITION" }[phase];
    // For the stylesheet: each phase its own colour and shape, told apart from across the room.
    if (guide.dataset.phase !== phase) guide.dataset.phase = phase;
    guide.classList.toggle("paused", snap.paused);
    // While moving in, the body is shown going from the last pose into this one; then the pose.
    const picture = !snap.inHold && entry.move_figure ? entry.move_figure : entry.figure;
    if (picture && $("figure").getAttribute("src") !== picture) $("figure").src = picture;
    ring.setAttribute("stroke-dashoffset", (circumference * (1 - Math.min(1, left / span))).toFixed(1));
    // Before anything is said (the move in), the step's first words are shown already.
    const first = entry.cues.find((c) => !Player.UNSHOWN.has(c.kind));
    const cue = snap.cue ? snap.cue.text : first ? first.text : "";
    $("cue").textContent = cue;
    // The key cue stays in view under whatever was said last (once, if that was it).
    $("key").textContent = cue === entry.key_cue ? "" : entry.key_cue;
    $("progress").value = Math.min(1, snap.elapsed / snap.total);
    $("elapsed").textContent = `${clock(snap.elapsed)} of ${clock(snap.total)}`;
    root.dataset.step = String(entry.index);
    root.dataset.sound = sound.playing;
    if (session.music) {
      const level = sound.musicLevel(player);
      root.dataset.music = level === 0 ? "off" : level < 1 ? "under" : "full";
    }
    saved.write(uid, session.query, player, before);
    // Wake for the next whole second of the countdown (or the step's end, at high speed).
    const wait = player.paused ? 250 : Math.min(250, Math.max(8, ((left % 1 || 1) * 1000) / speed));
    timer = setTimeout(draw, wait);
  }

  function begin() {
    $("ready").hidden = true;
    $("guide").hidden = false;
    reserve();
    if (sound.context) sound.context.resume();
    awake.hold().then((how) => { root.dataset.awake = how; });
    if (player.started) root.dataset.resumed = "1";
    else {
      before = ratings($("before"));
      outbox.add(`${base}/start`, { query: session.query, before });
      player.start();
    }
    sound.follow(player);
    draw();
    $("pause").focus();
  }

  let closed = false;
  function finish() {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    saved.clear();
    sound.end();
    awake.release();
    // Closed at once; the after ratings, if given, are sent again with it (they replace).
    outbox.add(`${base}/finish`, { finished: !player.quitEarly, after: {} });
    $("guide").hidden = true;
    $("done").hidden = false;
    $("summary").textContent = summaryText(player, session);
    const summary = player.summary();
    // "Well done" for a session done to the end; one stopped early is said as it is.
    $("done-title").textContent = summary.finished ? "Well done" : "Session ended";
    $("tally-held").textContent = `${clock(summary.held)} of ${session.total} planned`;
    const steps = [["done", summary.done], ["cut short", summary.cutShort], ["skipped", summary.skipped]]
      .filter(([, n]) => n).map(([what, n]) => `${n} ${what}`);
    $("tally-steps").textContent = `${steps.join(", ") || "none"} (of ${session.entries.length})`;
    showRatings();
    root.dataset.finished = "1";
    $("done-title").focus();
  }

  // Kept once more as the page goes (a reload, a tab closed): where it was to the tenth.
  window.addEventListener("pagehide", () => { if (player.started && !closed) saved.write(uid, session.query, player, before); });
  $("start").addEventListener("click", begin);
  if (earlier) {
    // Carry on where the page was left (same id: recorded as one session), or start again
    // (the one left is closed as stopped, with what was done of it).
    const at = session.entries[earlier.player.index];
    $("resume-where").textContent = `Carry on from ${at.name}${at.side_label ? `, ${at.side_label}` : ""}?`;
    $("resume-detail").textContent = `Step ${at.index + 1} of ${session.entries.length}, ${clock(earlier.player.position)} of ${session.total} done.`;
    $("resume").hidden = false;
    $("fresh").hidden = true;
    $("carry-on").addEventListener("click", () => {
      uid = earlier.uid;
      base = `/api/sessions/${uid}`;
      player = Player.resumed(session.entries, earlier.player, options);
      if (earlier.before && typeof earlier.before === "object") before = earlier.before;
      begin();
    });
    $("start-again").addEventListener("click", () => {
      outbox.add(`/api/sessions/${earlier.uid}/finish`, { finished: false, after: {} });
      saved.clear();
      $("resume").hidden = true;
      $("fresh").hidden = false;
      $("start").focus();
    });
  }
  $("pause").addEventListener("click", () => {
    player.togglePause();
    $("pause").textContent = player.paused ? "Resume" : "Pause";
    $("pause").setAttribute("aria-pressed", String(player.paused));
    if (media) media.playbackState = player.paused ? "paused" : "playing";
    $("stop").hidden = !player.paused;
    sound.follow(player);
    clearTimeout(timer); draw();
  });
  $("skip").addEventListener("click", () => { player.skip(); sound.follow(player); clearTimeout(timer); draw(); });
  $("back").addEventListener("click", () => { player.back(); sound.follow(player); clearTimeout(timer); draw(); });
  $("stop").addEventListener("click", () => { player.quit(); finish(); });
  const adjust = (change) => {
    if (closed) return;
    player.adjust(change * Player.ADJUST_SECONDS);
    sound.follow(player);
    clearTimeout(timer); draw();
  };
  $("longer").addEventListener("click", () => adjust(1));
  $("shorter").addEventListener("click", () => adjust(-1));
  // Before and after, area by area, as rated (before: on the first screen; after: here).
  function showRatings() {
    const shown = session.rate_areas.filter((a) => a.name in before || a.name in after).map((a) => {
      const was = a.name in before ? before[a.name] : "–";
      return a.name in after ? `${a.label} ${was} → ${after[a.name]}` : `${a.label} ${was}`;
    });
    $("tally-rated").textContent = shown.join(", ");
    $("tally-rated").hidden = $("tally-rated-title").hidden = !shown.length;
  }
  $("after").addEventListener("submit", (event) => {
    event.preventDefault();
    after = ratings($("after"));
    outbox.add(`${base}/finish`, { finished: !player.quitEarly, after });
    $("after").hidden = true;
    $("thanks").hidden = false;
    showRatings();
  });
  // The terminal's keys, for a laptop: n or → skips, b or ← goes back, p pauses (space
  // already presses whichever button has the focus, Pause at the start), + and - make this
  // hold 10 s longer or shorter, as the buttons beside the timer do.
  document.addEventListener("keydown", (event) => {
    if ($("guide").hidden || event.altKey || event.ctrlKey || event.metaKey) return;
    const button = { n: "skip", ArrowRight: "skip", b: "back", ArrowLeft: "back", p: "pause" }[event.key];
    const change = { "+": 1, "=": 1, "-": -1, _: -1 }[event.key];
    if (button) { event.preventDefault(); $(button).click(); }
    else if (change && !closed) { event.preventDefault(); adjust(change); }
  });
  // A browser lets go of the wake lock (and pauses the video) when the page is hidden; back
  // in view, the session takes them again and catches up with its clock.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || closed || $("guide").hidden) return;
    if (awake.video) awake.video.play().catch(() => {});
    else awake.hold().then((how) => { root.dataset.awake = how; });
    clearTimeout(timer); draw(); sound.follow(player);
  });
}

main();
