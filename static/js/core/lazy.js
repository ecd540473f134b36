// Stand-ins for views whose modules load later (main.js loads them after the first paint). Pure: no DOM;
// imports in Node too.

/**
 * A group of lazily made views. view(load) returns a stand-in for the view that load() (a promise of it)
 * makes once start() has been called: every method of the view can be called on the stand-in at once. A call
 * before the view is made waits, in order, and returns a promise of the view's answer; once it is made, a call
 * is the view's own (its answer as it comes). A method taken from the stand-in early and called late is
 * the view's own call by then. onError(err) hears a load that failed.
 * @param {(err: Error) => void} [onError]
 * ready() settles once every view asked for so far is made (or failed to load).
 * @returns {{start: () => void, view: (load: () => Promise<object>) => object, ready: () => Promise<void>}}
 */
export function lazyViews(onError = () => {}) {
  let start;
  const go = new Promise((resolve) => {
    start = resolve;
  });
  const making = [];
  return {
    start: () => start(),
    ready: () => Promise.all(making).then(() => undefined),
    view(load) {
      let made = null;
      const queue = [];
      const madeOnce = go.then(load).then((view) => {
        made = view;
        for (const [name, args, resolve, reject] of queue.splice(0)) {
          try {
            resolve(view[name](...args));
          } catch (err) {
            reject(err);
          }
        }
      }).catch(onError);
      making.push(madeOnce);
      return new Proxy({}, {
        get(_, name) {
          if (name === "then") return undefined; // not a promise itself
          if (made) return typeof made[name] === "function" ? made[name].bind(made) : made[name];
          // Asked for before the module loaded, maybe called after (`view.open(await card)`): which at the call.
          return (...args) => (made ? made[name](...args)
            : new Promise((resolve, reject) => queue.push([name, args, resolve, reject])));
        },
      });
    },
  };
}
