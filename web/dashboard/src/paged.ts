// A list read a page at a time (bets, users, alerts, dead letters): the page's rows as the caller
// draws them, and a pager under them when the list has more than one page. Only the newest
// request's answer is drawn, so a slow answer to an earlier page cannot replace a later one; a
// page that cannot be read leaves the page shown marked out of date, with the error.
import { newest, page, type Page } from "./api";
import { h, pager, status } from "./dom";

// Resolves to the list's element once page `at` is drawn (the last page when the list has fewer);
// rejects when that first page cannot be read. path carries the filters.
export async function pagedList<T>(label: string, path: string, draw: (p: Page<T>) => HTMLElement, at = 1): Promise<HTMLElement> {
  const rows = h("div");
  const note = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const ask = newest();
  const show = async (n: number, current: () => boolean): Promise<void> => {
    const p = await page<T>(path, n);
    if (!current()) return;
    const last = Math.max(1, Math.ceil(p.total / p.limit));
    if (n > last) return show(last, current);
    rows.classList.remove("stale");
    status(note, "");
    rows.replaceChildren(draw(p));
    if (p.total > p.limit) rows.append(pager(label, p, (k) => void turn(k)));
  };
  const turn = async (n: number): Promise<void> => {
    const current = ask();
    try {
      await show(n, current);
    } catch (e) {
      if (!current()) return;
      rows.classList.add("stale");
      status(note, `${(e as Error).message} (the rows shown are another page's)`, "error");
    }
  };
  await show(at, ask());
  return h("div", {}, note, rows);
}
