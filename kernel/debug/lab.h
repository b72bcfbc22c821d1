/*
 * What a student branch runs into where a lab's code is still to be written.
 */
#pragma once

/*
 * Prints "<what> is not implemented yet: see <handout>" and powers off with exit
 * status 3. Lab stubs call it, e.g.
 *   lab_missing("the bump allocator", "docs/labs/1-bump.md");
 */
__attribute__((noreturn)) void lab_missing(const char *what, const char *handout);
