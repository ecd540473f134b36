// What every view shares: one way to make an element, and one way to report what a person did.
// Text goes in through textContent only (the page's CSP allows no inline markup or script).

/**
 * A new element: `className` when given, `text` as its textContent (a number or anything else as a
 * string; null and undefined leave it empty), appended to `parent` when given.
 */
export function el(tag, className = null, text = undefined, parent = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  parent?.append(node);
  return node;
}

/**
 * A view's events: bind(event, handler) adds a handler, emit(event, value) calls the event's handlers in
 * the order they were bound. With `names`, only those events exist: binding or emitting another throws,
 * saying which there are.
 */
export function createEvents(names = null) {
  const handlers = new Map((names ?? []).map((name) => [name, []]));
  const check = (event) => {
    if (names && !handlers.has(event)) {
      throw new Error(`unknown event ${JSON.stringify(event)}: use one of ${names.join(", ")}`);
    }
  };
  return {
    bind(event, handler) {
      check(event);
      if (!handlers.has(event)) handlers.set(event, []);
      handlers.get(event).push(handler);
    },
    emit(event, value) {
      check(event);
      for (const handler of handlers.get(event) ?? []) handler(value);
    },
  };
}
