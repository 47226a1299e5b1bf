"use strict";

/**
 * Lower-case `text` and join its words with single dashes.
 * @param {string} text
 * @returns {string}
 */
function slugify(text) {
  return String(text)
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9]+/g, "-");
}

module.exports = { slugify };
