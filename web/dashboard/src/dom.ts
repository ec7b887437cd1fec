// Small DOM helpers: elements are built with text nodes only (never innerHTML), so no value from
// the API can inject markup, and no inline style or script is ever written (the CSP forbids it).
type Child = Node | string | number | null | undefined | false;
type Attrs = { [k: string]: string | number | boolean | null | undefined | EventListener };

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...kids);
  return el;
}

export function append(el: Node, ...kids: Child[]): void {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    el.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// A table in a box of its own that scrolls sideways when the table is wider than the screen (a
// phone), so the page never does; a keyboard can focus the box to scroll it.
export function table(caption: string, head: string[], rows: Child[][], cls = ""): HTMLElement {
  return h("div", { class: "table-wrap", tabindex: "0" },
    h("table", { class: cls },
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c)))))));
}

export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", {}, hint) : null);
}

export function select(name: string, options: [string, string][], value = ""): HTMLSelectElement {
  const s = h("select", { name });
  for (const [v, t] of options) s.appendChild(h("option", { value: v, selected: v === value }, t));
  return s;
}

export function status(el: HTMLElement, text: string, kind: "info" | "error" | "ok" = "info"): void {
  el.className = `status ${kind}`;
  el.textContent = text;
}

export function section(title: string, ...kids: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...kids);
}

// Where a page of a list sits in the whole list, with Previous and Next; go(n) shows page n.
export function pager(label: string, at: { total: number; page: number; limit: number }, go: (page: number) => void): HTMLElement {
  const pages = Math.max(1, Math.ceil(at.total / Math.max(1, at.limit)));
  const first = Math.min(at.total, (at.page - 1) * at.limit + 1);
  const last = Math.min(at.total, at.page * at.limit);
  return h("nav", { class: "pager", "aria-label": `${label}: pages` },
    h("button", { type: "button", class: "small", disabled: at.page <= 1, onclick: () => go(Math.min(at.page - 1, pages)) }, "Previous"),
    h("span", { class: "where" }, at.total ? `${first}–${last} of ${at.total} · page ${at.page} of ${pages}` : "none"),
    h("button", { type: "button", class: "small", disabled: at.page >= pages, onclick: () => go(at.page + 1) }, "Next"));
}
