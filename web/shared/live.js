// A graphql-transport-ws client that keeps itself connected: on a lost connection it reports
// "reconnecting", tries again with growing pauses, and subscribes everything again, asking each
// subscription for fresh variables (so a queueEvents subscription resumes with afterSeq).
// A ping every few seconds notices a connection that died silently. connection_init says the page's
// language (browsers set no headers on a websocket), so that the API's messages come in it.

import { language } from "./i18n.js";

const PING_EVERY_MS = 5000;
const PONG_WITHIN_MS = 4000;
const ACK_WITHIN_MS = 8000;
const MAX_PAUSE_MS = 4000;

export class LiveConnection {
  constructor({ token = null, onStatus = () => {} } = {}) {
    this.token = token;
    this.onStatus = onStatus;
    this.subscriptions = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.stopped = false;
    this.status = "connecting";
    this.open();
  }

  open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/graphql`, "graphql-transport-ws");
    this.socket = socket;
    this.acked = false;
    socket.addEventListener("open", () => {
      const payload = { "Accept-Language": language() };
      if (this.token) payload.authorization = `Bearer ${this.token}`;
      this.send({ type: "connection_init", payload });
    });
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (event) => this.closed(socket, event));
    this.timer = setTimeout(() => socket.close(), ACK_WITHIN_MS);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.onStatus(status);
  }

  receive(message) {
    const subscription = message.id ? this.subscriptions.get(message.id) : null;
    switch (message.type) {
      case "connection_ack":
        this.acked = true;
        this.attempt = 0;
        clearTimeout(this.timer);
        this.heartbeat();
        this.setStatus("open");
        for (const [id, entry] of this.subscriptions) this.start(id, entry);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "pong":
        clearTimeout(this.pongTimer);
        break;
      case "next":
        if (!subscription) return;
        if (message.payload.errors) this.failed(message.id, subscription, message.payload.errors);
        else subscription.onNext(message.payload.data);
        break;
      case "error":
        if (subscription) this.failed(message.id, subscription, message.payload);
        break;
      case "complete":
        if (subscription) {
          this.subscriptions.delete(message.id);
          subscription.onComplete();
        }
        break;
    }
  }

  failed(id, subscription, errors) {
    const codes = errors.map((error) => error.extensions && error.extensions.code);
    if (codes.includes("SUBSCRIBER_DROPPED")) {
      this.start(id, subscription); // fell behind: again, from where it was
      return;
    }
    this.subscriptions.delete(id);
    subscription.onError(errors);
  }

  heartbeat() {
    clearInterval(this.pinger);
    this.pinger = setInterval(() => {
      this.send({ type: "ping" });
      clearTimeout(this.pongTimer);
      const socket = this.socket;
      this.pongTimer = setTimeout(() => socket.close(), PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    clearTimeout(this.timer);
    clearTimeout(this.pongTimer);
    clearInterval(this.pinger);
    this.acked = false;
    if (this.stopped) return;
    if (event.code === 4403 || event.code === 4401) {
      this.setStatus("refused"); // a bad token does not get better by trying again
      return;
    }
    this.setStatus("reconnecting");
    const pause = Math.min(250 * 2 ** this.attempt, MAX_PAUSE_MS) * (0.75 + Math.random() / 2);
    this.attempt += 1;
    this.timer = setTimeout(() => this.open(), pause);
  }

  start(id, entry) {
    if (!this.acked) return;
    const variables = typeof entry.variables === "function" ? entry.variables() : entry.variables;
    this.send({ id, type: "subscribe", payload: { query: entry.query, variables } });
  }

  // variables: an object, or a function called at each (re)subscription
  subscribe(query, variables, { onNext, onError = () => {}, onComplete = () => {} }) {
    const id = String(this.nextId++);
    const entry = { query, variables, onNext, onError, onComplete };
    this.subscriptions.set(id, entry);
    this.start(id, entry);
    return () => {
      if (this.subscriptions.delete(id)) this.send({ id, type: "complete" });
    };
  }

  // the page's language changed: connection_init said the old one, so a new connection says the new one and
  // every subscription starts again (the API names procedures, and words its errors, in it)
  renew() {
    if (this.stopped || !this.socket) return;
    this.attempt = 0;
    this.socket.close(1000);
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.socket) this.socket.close(1000);
  }
}
