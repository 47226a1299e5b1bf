"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { slugify } = require("../src/slugify");

test("joins words with dashes", () => {
  assert.equal(slugify("Hello World"), "hello-world");
});

test("collapses runs of punctuation and spaces", () => {
  assert.equal(slugify("a  --  b"), "a-b");
});
