// core/lazy.js: stand-ins for views whose modules load after the first paint.
import assert from "node:assert/strict";
import { test } from "node:test";

import { lazyViews } from "../../static/js/core/lazy.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function recorder() {
  const calls = [];
  return {
    calls,
    view: {
      render(x) {
        calls.push(["render", x]);
        return x * 2;
      },
      clear() {
        calls.push(["clear"]);
      },
      fail() {
        throw new Error("no");
      },
    },
  };
}

test("nothing loads before start(); calls made before wait, in order, and settle with the view's answers", async () => {
  const { calls, view } = recorder();
  let loads = 0;
  const group = lazyViews();
  const stand = group.view(async () => {
    loads += 1;
    return view;
  });
  const first = stand.render(1);
  stand.clear();
  const failed = stand.fail();
  await tick();
  assert.equal(loads, 0);
  assert.deepEqual(calls, []);
  group.start();
  assert.equal(await first, 2);
  await assert.rejects(failed, /no/);
  assert.deepEqual(calls, [["render", 1], ["clear"]]);
  assert.equal(loads, 1);
  assert.equal(stand.render(3), 6); // made: the view's own call, its answer at once
});

test("a method taken early and called after the view is made is the view's own call", async () => {
  const { calls, view } = recorder();
  const group = lazyViews();
  const stand = group.view(async () => view);
  const render = stand.render; // as in view.open(await something)
  group.start();
  await tick();
  assert.equal(render(5), 10);
  assert.deepEqual(calls, [["render", 5]]);
});

test("a stand-in is not a promise, and a load that fails is heard", async () => {
  const errors = [];
  const group = lazyViews((err) => errors.push(err.message));
  const stand = group.view(async () => {
    throw new Error("offline");
  });
  assert.equal(stand.then, undefined);
  assert.equal(await Promise.resolve(stand), stand);
  group.start();
  await tick();
  await tick();
  assert.deepEqual(errors, ["offline"]);
});

test("ready() settles once every view is made, a failed one included, and not before start()", async () => {
  const errors = [];
  const group = lazyViews((err) => errors.push(err.message));
  let made = 0;
  group.view(async () => { made++; return {}; });
  group.view(async () => { throw new Error("no module"); });
  let settled = false;
  const ready = group.ready().then(() => { settled = true; });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(settled, false);
  group.start();
  await ready;
  assert.equal(made, 1);
  assert.deepEqual(errors, ["no module"]);
});
