// Search page: Pagefind's JS API over the bundle the build writes from the model (sitrep/search.py).
// The state (query, filters, sort) lives in the URL query string: every change that a reader makes
// on purpose (submit, a filter, sort, "clear") pushes a history entry; typing replaces the entry it
// started, so Back undoes one step and a reload or a shared link shows the same results.
// Results are built with DOM calls and textContent only: content is untrusted.

const root = document.getElementById("search");
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const fieldset = document.getElementById("search-filters");
const selects = Array.from(form.querySelectorAll("select[data-filter]"));
const sortSelect = document.getElementById("search-sort");
const clearButton = document.getElementById("search-clear");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("search-results");
const moreButton = document.getElementById("search-more");

const PAGE_SIZE = 20;
const TYPING_DELAY_MS = 250;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];
const KINDS = { Event: "Events", Actor: "Actors", Region: "Regions", Source: "Sources", Briefing: "Briefings" };
const ASSESSMENTS = ["claimed", "reported", "corroborated", "confirmed", "contested"];
const DATED_KINDS = new Set(["Event", "Briefing"]);
// Pagefind adds a boost for words found in meta fields (sitrep/search_records.py says what each holds). An
// actor's, region's or source's own names in every spelling (`names`) weigh most, so "Aleppo" and
// "Halab" put the region above the events that mention it; the names of the region and actors an
// event involves (`related`) weigh little. Fields that are only shown weigh nothing.
const META_WEIGHTS = { title: 5, names: 10, related: 1, place: 1, type: 0.5, aliases: 0, date: 0,
  fatalities: 0, kind: 0, assessment: 0, status: 0, events: 0 };
const baseTitle = document.title;

let pagefind = null;
let shards = [];
let shardWords = {};
let every = null;
let view = null;
let searchId = 0;
let typingTimer = 0;

// --- state <-> URL <-> form ----------------------------------------------------------------------

function readUrl(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const select of selects) {
    const value = params.get(select.dataset.filter);
    if (value) filters[select.dataset.filter] = value;
  }
  return { q: (params.get("q") || "").trim(), filters, sort: params.get("sort") || "" };
}

function toQuery(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const select of selects) {
    const value = state.filters[select.dataset.filter];
    if (value) params.set(select.dataset.filter, value);
  }
  if (state.sort) params.set("sort", state.sort);
  const query = params.toString();
  return query ? `?${query}` : "";
}

function readForm() {
  const filters = {};
  for (const select of selects) {
    if (select.value) filters[select.dataset.filter] = select.value;
  }
  return { q: input.value.trim(), filters, sort: sortSelect.value };
}

function fillForm(state) {
  if (input.value.trim() !== state.q) input.value = state.q;
  for (const select of selects) setSelect(select, state.filters[select.dataset.filter] || "");
  setSelect(sortSelect, state.sort);
}

function setSelect(select, value) {
  // A shared URL may name a value this index lacks: keep it visible rather than silently dropping it.
  if (value && !Array.from(select.options).some((o) => o.value === value)) {
    select.append(new Option(`${optionLabel(select.dataset.filter, value)} (0)`, value));
  }
  select.value = value;
}

function commit(state, typing) {
  const query = toQuery(state);
  if (query !== location.search) {
    const url = location.pathname + query + location.hash;
    if (typing && history.state && history.state.typing) {
      history.replaceState({ typing: true }, "", url);
    } else {
      history.pushState({ typing }, "", url);
    }
  }
  run(state);
}

// --- filters ---------------------------------------------------------------------------------------

function optionLabel(key, value) {
  if (key === "month") return MONTHS[Number(value) - 1] || value;
  if (key === "kind") return KINDS[value] || value;
  if (key === "assessment") return value.charAt(0).toUpperCase() + value.slice(1);
  return value;
}

function optionOrder(key, values) {
  if (key === "kind") return Object.keys(KINDS).filter((k) => values.includes(k));
  if (key === "assessment") {
    return [...ASSESSMENTS.filter((a) => values.includes(a)), ...values.filter((v) => !ASSESSMENTS.includes(v))];
  }
  if (key === "year") return values.sort().reverse();
  return values.sort((a, b) => a.localeCompare(b));
}

function fillOptions(counts) {
  for (const select of selects) {
    const key = select.dataset.filter;
    const values = counts[key] || {};
    for (const value of optionOrder(key, Object.keys(values))) {
      select.append(new Option(`${optionLabel(key, value)} (${values[value]})`, value));
    }
  }
}

// --- searching --------------------------------------------------------------------------------------

function sortFor(state) {
  if (state.sort === "date-desc") return { date: "desc" };
  if (state.sort === "date-asc") return { date: "asc" };
  // Without words there is no relevance: list newest first, when what is shown has dates at all.
  if (!state.q && (!state.filters.kind || DATED_KINDS.has(state.filters.kind))) return { date: "desc" };
  return {};
}

// What to search for. Filters alone search for the word every record holds (sitrep/search_records.py,
// EVERY): Pagefind's search without words reads every word index chunk of every shard at once, more
// requests than a browser makes at a time on a large site, and leaves out the records of those it
// could not read.
function words(state) {
  return state.q || every;
}

// A view hands out results a page at a time. `take(n)` resolves to the next n Pagefind results,
// `complete` to the total once it is known, `left()` to how many remain (null while unknown).
function listView(items) {
  let at = 0;
  return {
    complete: Promise.resolve(items.length),
    left: () => items.length - at,
    take: async (n) => {
      const out = items.slice(at, at + n);
      at += out.length;
      return out;
    },
    cancel: () => {},
  };
}

function shardedView(state, sort) {
  // A date-sorted search over several shards. Pagefind merges shards by score, and a sorted search
  // scores by rank within its shard, so the merged list would interleave shards. Shards hold
  // consecutive date ranges, so ask them one at a time, in date order. The primary bundle holds no
  // dated record then; a shard's filter value is its folder's name.
  const order = shards.map((folder) => folder.replace(/\/$/, ""));
  if (sort.date === "desc") order.reverse();
  return state.q ? countedView(state, sort, order) : walkedView(state, sort, order);
}

function walkedView(state, sort, order) {
  // Filters alone: each shard is searched for its own word (sitrep/search.py, shard_word), which no
  // other merged index holds, so each search scores one shard's records. (Through the `shard`
  // filter, each would score every shard's records: at 100k events 1.6 s a shard, and 4.2 s to
  // count them all first.) The walk reads the shards in date order, one at a time, and carries on
  // after the first page is shown; the total is known once it has read them all.
  const results = [];
  let served = 0;
  let done = false;
  let cancelled = false;
  let wake = null;
  let signal = null;
  const step = () => {
    const resolve = wake;
    signal = new Promise((r) => { wake = r; });
    if (resolve) resolve();
  };
  step();
  const complete = (async () => {
    try {
      for (const shard of order) {
        if (cancelled) break;
        const word = shardWords[shard];  // none in a page from before shard words: the filter then
        const part = await pagefind.search(word || every,
          { filters: word ? state.filters : { ...state.filters, shard }, sort });
        if (cancelled) break;
        for (const result of (part && part.results) || []) results.push(result);
        step();
      }
      return results.length;
    } finally {
      done = true;
      step();
    }
  })();
  const fill = async (n) => {
    while (results.length < served + n && !done && !cancelled) await signal;
    const out = results.slice(served, served + n);
    served += out.length;
    return out;
  };
  let queue = Promise.resolve();
  return {
    complete,
    left: () => (done ? results.length - served : null),
    take: (n) => (queue = queue.then(() => fill(n))),
    cancel: () => { cancelled = true; step(); },
  };
}

function countedView(state, sort, order) {
  // Words: every shard search runs in every merged index, so asking all of them would cost shards²
  // index searches. One merged search first counts each shard's results (the `shard` filter's
  // counts), which gives the total at once and lets the page ask only the shards it shows, and
  // none that has no result. Words without filters need no such search: the first shard's search
  // gives every shard's count too (Pagefind's totalFilters: the counts before filters, here only
  // `shard`).
  let counts = null;
  let total = null;
  let fetched = [];
  let served = 0;
  let next = 0;
  let cancelled = false;
  let queue = Promise.resolve();
  const term = words(state);
  const counted = Object.keys(state.filters).length
    ? pagefind.search(term, { filters: { ...state.filters, shard: { any: order } }, sort })
      .then((response) => (response && response.filters && response.filters.shard) || {})
    : pagefind.search(term, { filters: { shard: order[0] }, sort }).then((response) => {
      fetched = response ? response.results : [];
      next = 1;
      return (response && response.totalFilters && response.totalFilters.shard) || {};
    });
  const complete = counted.then((found) => {
    counts = found;
    total = order.reduce((sum, shard) => sum + (counts[shard] || 0), 0);
    return total;
  });
  const fill = async (n) => {
    await complete;
    while (fetched.length < served + n && next < order.length && !cancelled) {
      const shard = order[next++];
      if (!counts[shard]) continue;
      const part = await pagefind.search(term, { filters: { ...state.filters, shard }, sort });
      fetched = fetched.concat(part.results);
    }
    // Every shard read: what they gave is the total, should a shard have given fewer than counted.
    if (next >= order.length && !cancelled) total = fetched.length;
    const out = fetched.slice(served, served + n);
    served += out.length;
    return out;
  };
  return {
    complete,
    left: () => (total === null ? null : total - served),
    // One at a time: each continues in shard order where the last stopped.
    take: (n) => (queue = queue.then(() => fill(n))),
    cancel: () => { cancelled = true; },
  };
}

async function run(state) {
  const id = ++searchId;
  const filterCount = Object.keys(state.filters).length;
  document.title = state.q ? `“${state.q}” · ${baseTitle}` : baseTitle;
  if (!pagefind) return;
  if (view) view.cancel();
  if (!state.q && !filterCount) {
    view = null;
    list.replaceChildren();
    moreButton.hidden = true;
    statusLine.textContent = "";
    return;
  }
  root.setAttribute("aria-busy", "true");
  try {
    const sort = sortFor(state);
    if (sort.date && shards.length) {
      view = shardedView(state, sort);
    } else {
      const response = await pagefind.search(words(state), { filters: state.filters, sort });
      if (id !== searchId || !response) return;
      view = listView(response.results);
    }
    const current = view;
    list.replaceChildren();
    await showMore(id, false);
    if (id !== searchId) return;
    if (current.left() === null) statusLine.textContent = "Counting results…";
    const total = await current.complete;
    if (id !== searchId) return;
    statusLine.textContent = describe(state, total);
    updateMore(current);
  } catch (error) {
    if (id !== searchId) return;
    statusLine.textContent = "The search failed. Reload the page to try again.";
    console.error("search:", error);
  }
  root.removeAttribute("aria-busy");
}

function describe(state, count) {
  const parts = [`${count === 0 ? "No" : count.toLocaleString("en")} result${count === 1 ? "" : "s"}`];
  if (state.q) parts.push(`for “${state.q}”`);
  const filters = selects.filter((s) => state.filters[s.dataset.filter])
    .map((s) => `${s.labels[0].textContent}: ${optionLabel(s.dataset.filter, state.filters[s.dataset.filter])}`);
  // Pagefind leaves out records without the sort key: say so rather than let actors vanish silently.
  const datedOnly = state.sort && !DATED_KINDS.has(state.filters.kind)
    ? " Sorted by date: events and briefings only." : "";
  return parts.join(" ") + (filters.length ? ` (${filters.join(", ")})` : "") + "." + datedOnly;
}

async function showMore(id, focusFirst) {
  const current = view;
  const batch = await current.take(PAGE_SIZE);
  const data = await Promise.all(batch.map((r) => r.data()));
  if (id !== searchId || current !== view) return;
  const items = data.map(renderResult);
  list.append(...items);
  updateMore(current);
  if (focusFirst && items.length) items[0].querySelector("a").focus();
}

function updateMore(current) {
  const left = current.left();  // null while a sharded search is still counting
  moreButton.hidden = left === 0;
  moreButton.textContent = left === null ? "Show more results"
    : `Show more results (${left.toLocaleString("en")} left)`;
}

// --- rendering ---------------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderResult(result) {
  const meta = result.meta || {};
  const kind = meta.kind || "Page";
  const item = el("li", `search-result search-result-${kind.toLowerCase()}`);
  const heading = el("h2", "search-result-title");
  const link = el("a", "", meta.title || result.url);
  link.href = result.url;
  heading.append(link);
  item.append(heading, renderFacts(meta, kind));
  if (result.excerpt) item.append(renderExcerpt(result.excerpt));
  return item;
}

function renderFacts(meta, kind) {
  const facts = el("ul", "search-result-facts");
  const add = (className, label, value) => {
    if (!value) return;
    const fact = el("li", className);
    if (label) fact.append(el("span", "search-fact-label", `${label} `));
    fact.append(document.createTextNode(value));
    facts.append(fact);
  };
  add("search-fact-kind", "", kind);
  if (meta.status) add("search-fact-status", "", meta.status.charAt(0).toUpperCase() + meta.status.slice(1));
  add("search-fact-date", "", meta.date);
  add("search-fact-place", "", meta.place);
  add("search-fact-type", "", meta.type);
  if (kind === "Event") add("search-fact-fatalities", "Deaths:", meta.fatalities || "not reported");
  add("search-fact-aliases", "Also:", meta.aliases);
  if (meta.events) add("search-fact-events", "", `${meta.events} event${meta.events === "1" ? "" : "s"}`);
  return facts;
}

function renderExcerpt(excerpt) {
  // Pagefind marks matches with <mark>; keep those and plain text, nothing else. DOMParser builds an
  // inert document: nothing in it runs or loads.
  const parsed = new DOMParser().parseFromString(`<p>${excerpt}</p>`, "text/html");
  const out = el("p", "search-result-excerpt");
  const walker = parsed.createTreeWalker(parsed.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const inMark = node.parentElement && node.parentElement.closest("mark");
    out.append(inMark ? el("mark", "", node.textContent) : document.createTextNode(node.textContent));
  }
  return out;
}

// --- wiring -------------------------------------------------------------------------------------------

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typingTimer);
  commit(readForm(), false);
});

input.addEventListener("input", () => {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => commit(readForm(), true), TYPING_DELAY_MS);
});

for (const select of [...selects, sortSelect]) {
  select.addEventListener("change", () => commit(readForm(), false));
}

clearButton.addEventListener("click", () => {
  for (const select of selects) select.value = "";
  commit(readForm(), false);
});

moreButton.addEventListener("click", () => showMore(searchId, true));

window.addEventListener("popstate", () => {
  clearTimeout(typingTimer);
  const state = readUrl(location.search);
  fillForm(state);
  run(state);
});

async function start() {
  history.replaceState({ typing: false }, "");
  input.value = readUrl(location.search).q;
  try {
    const bundle = new URL(root.dataset.bundle || "../pagefind/", new URL(".", import.meta.url));
    pagefind = await import(new URL("pagefind.js", bundle).href);
    const options = { excerptLength: 24, ranking: { metaWeights: META_WEIGHTS } };
    await pagefind.options(options);
    // Large indexes come in shards (sitrep/search.py); Pagefind searches them all as one.
    shards = (root.dataset.shards || "").split(/\s+/).filter(Boolean);
    every = root.dataset.every || null;
    const words = (root.dataset.shardWords || "").split(/\s+/).filter(Boolean);
    shardWords = Object.fromEntries(shards.map((folder, i) => [folder.replace(/\/$/, ""), words[i]]));
    for (const shard of shards) await pagefind.mergeIndex(new URL(shard, bundle).pathname, options);
    await pagefind.init();
    // The build counts each filter's values (search_records.filter_counts): asking Pagefind would
    // read every shard's filter index first (0.85 s at 100k events).
    fillOptions(root.dataset.options ? JSON.parse(root.dataset.options) : await pagefind.filters());
  } catch (error) {
    statusLine.textContent = "Search could not load. Browse the timeline, regions and actors instead.";
    console.error("search: cannot load Pagefind", error);
    return;
  }
  // Filters are set only now that their options exist; the query box keeps what was typed meanwhile.
  const state = readUrl(location.search);
  for (const select of selects) setSelect(select, state.filters[select.dataset.filter] || "");
  setSelect(sortSelect, state.sort);
  fieldset.hidden = false;
  fieldset.disabled = false;
  root.dataset.ready = "true";
  await run(readForm());
}

start();
