// The guided session as a state machine: the same player as the terminal's
// (src/unknot/guide/player.py), with nothing of the page in it, on a clock it is given (the
// page's own by default), so the screen (player.js) drives it and tests drive it on a fake
// clock. tests/player_cases.yaml holds the behaviour the two players share.
//
// Deadlines are counted from the session's start: a step that ends on time hands over at its
// deadline, not when the check ran, so a long session does not drift.
"use strict";

// Which of two tries at one step the summary keeps: the one that got furthest.
const OUTCOME_RANK = { skipped: 0, "cut short": 1, done: 2 };

// Rounded to 0.1 s, halves up; player.py rounds the same way, so both send the same records.
function tenths(seconds) { return Math.round(seconds * 10) / 10; }

class Player {
  static BACK_RESTARTS_WITHIN = 3; // pressing back later than this into a step restarts it
  static ADJUST_SECONDS = 10;
  // Words for the ear only: the screen shows how to come in its own way, the count as a number.
  static UNSHOWN = new Set(["end", "exit", "come_in", "countdown"]);

  constructor(entries, { speed = 1, onRecord = () => {}, now = () => performance.now() / 1000 } = {}) {
    if (!entries.length) throw new Error("a session with no entries cannot be played");
    this.entries = entries;
    this.speed = speed;
    this.onRecord = onRecord;
    this.now = now;
    // Every record made, in order, as sent: append-only, so a position is never used twice.
    this.records = [];
    this.finished = false;
    this.quitEarly = false;
    this.index = 0;
    this.begins = 0;
    this.hold = entries[0].hold_seconds; // this try's hold, with + and - applied
    this.anchor = null; // null until start(): the session clock starts with the screen
    this.pausedAt = null;
  }

  // -- the clock -------------------------------------------------------------------------------
  start() { this.anchor = this.now(); this.pausedAt = null; }
  get started() { return this.anchor !== null; }
  // Session seconds since the start, not counting pauses.
  position() {
    if (this.anchor === null) return 0;
    const at = this.pausedAt !== null ? this.pausedAt : this.now();
    return (at - this.anchor) * this.speed;
  }
  get paused() { return this.pausedAt !== null; }
  get entry() { return this.entries[this.index]; }
  get deadline() { return this.begins + this.entry.transition_seconds + this.hold; }
  held(at) { return Math.max(0, at - this.begins - this.entry.transition_seconds); }

  // -- moving through the session -----------------------------------------------------------------
  // Catch up with the clock; returns the entries that began since the last tick.
  tick() {
    const began = [];
    while (!this.finished && this.position() >= this.deadline) {
      this.record(this.hold, "done");
      this.enter(this.index + 1, this.deadline);
      if (!this.finished) began.push(this.entry);
    }
    return began;
  }
  enter(index, begins) {
    if (index >= this.entries.length) { this.finished = true; return; }
    this.index = index;
    this.begins = begins;
    this.hold = this.entry.hold_seconds;
  }
  record(held, outcome) {
    const record = Object.freeze({ position: this.records.length + 1, index: this.index, held: tenths(held), outcome });
    this.records.push(record);
    this.onRecord(record);
  }
  // End this step now and start the next.
  skip() {
    if (this.finished) return;
    const at = this.position();
    const held = this.held(at);
    this.record(held, held > 0 ? "cut short" : "skipped");
    this.enter(this.index + 1, at);
  }
  // Restart this step, or go to the one before when this one has only just begun. Nothing is
  // taken back: the step before keeps its record, and summary() counts each step once.
  back() {
    if (this.finished) return;
    const at = this.position();
    if (at - this.begins <= Player.BACK_RESTARTS_WITHIN && this.index > 0) this.enter(this.index - 1, at);
    else this.enter(this.index, at);
  }
  // Lengthen (or shorten, with a negative number) this step's hold, never below what has been
  // held already, nor below 1 s.
  adjust(seconds = Player.ADJUST_SECONDS) {
    if (this.finished) return;
    const floor = Math.max(1, Math.ceil(this.held(this.position())));
    this.hold = Math.max(floor, this.hold + seconds);
  }
  togglePause() {
    if (this.finished) return;
    if (this.pausedAt === null) this.pausedAt = this.now();
    else { this.anchor += this.now() - this.pausedAt; this.pausedAt = null; }
  }
  // Stop here; the step under way is recorded as cut short (or skipped).
  quit() {
    if (this.finished) return;
    const held = this.held(this.position());
    this.record(held, held > 0 ? "cut short" : "skipped");
    this.finished = true;
    this.quitEarly = true;
  }

  // -- carrying on after a reload ------------------------------------------------------------------
  // Everything needed to come back here after a reload, as plain JSON: the step, where in the
  // session it began, its hold after + and -, how far the session had got and the records made.
  state() {
    return {
      index: this.index, begins: this.begins, hold: this.hold, position: tenths(this.position()),
      paused: this.paused, records: this.records,
    };
  }
  // Come back to a state() on this clock, running: nothing is recorded again, and records
  // made from here go on from the last position. A state that does not fit these entries
  // (another plan, a hand-edited store) throws, and the caller starts afresh.
  static resumed(entries, state, options = {}) {
    const player = new Player(entries, options);
    const { index, begins, hold, position, records } = state || {};
    const number = (n) => typeof n === "number" && Number.isFinite(n) && n >= 0;
    const fits = (r) => r && Number.isInteger(r.index) && r.index >= 0 && r.index < entries.length
      && number(r.held) && r.outcome in OUTCOME_RANK;
    if (!Number.isInteger(index) || index < 0 || index >= entries.length || ![begins, hold, position].every(number)
      || hold < 1 || begins > position || position > begins + entries[index].transition_seconds + hold
      || !Array.isArray(records) || !records.every(fits)) {
      throw new Error("the saved session does not fit this plan");
    }
    player.records = records.map((r, n) => Object.freeze({ position: n + 1, index: r.index, held: r.held, outcome: r.outcome }));
    player.index = index;
    player.begins = begins;
    player.hold = hold;
    player.anchor = player.now() - position / player.speed;
    return player;
  }

  // -- what to show ---------------------------------------------------------------------------------
  snapshot() {
    const at = this.position();
    const entry = this.entry;
    const inHold = at >= this.begins + entry.transition_seconds;
    const offset = at - this.begins - entry.transition_seconds;
    const said = entry.cues.filter((c) => c.offset_seconds <= offset && !Player.UNSHOWN.has(c.kind));
    let remaining = 0;
    for (const e of this.entries.slice(this.index + 1)) remaining += e.transition_seconds + e.hold_seconds;
    return {
      entry,
      next: this.entries[this.index + 1] || null,
      inHold,
      phaseLeft: Math.max(0, (inHold ? this.deadline : this.begins + entry.transition_seconds) - at),
      held: Math.max(0, offset),
      hold: this.hold,
      elapsed: at,
      total: Math.max(at, this.deadline) + remaining,
      paused: this.paused,
      finished: this.finished,
      cue: said.length ? said[said.length - 1] : null,
      steps: this.entries.length,
    };
  }
  // What was done, one record a step: a step done again after "back" counts once, by the try
  // that got furthest, so a mistaken back (then skip) does not undo a step already done.
  summary() {
    const best = new Map();
    for (const r of this.records) {
      const kept = best.get(r.index);
      const rank = OUTCOME_RANK[r.outcome];
      if (!kept || rank > OUTCOME_RANK[kept.outcome] || (rank === OUTCOME_RANK[kept.outcome] && r.held > kept.held)) {
        best.set(r.index, r);
      }
    }
    const counted = [...best.values()].sort((a, b) => a.index - b.index);
    const count = (outcome) => counted.filter((r) => r.outcome === outcome).length;
    return {
      done: count("done"),
      cutShort: count("cut short"),
      skipped: count("skipped"),
      held: tenths(counted.reduce((sum, r) => sum + r.held, 0)),
      finished: this.finished && !this.quitEarly,
      records: counted,
    };
  }
}
