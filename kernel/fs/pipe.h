/*
 * Pipes: a ring of PIPE_SIZE bytes between a writing and a reading end. A reader waits
 * while the ring is empty and a writer has it open; a writer waits while it is full
 * and a reader has it open. Reading an empty pipe with no writer left gives 0 (the end);
 * writing to one with no reader left fails with -EPIPE.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct iobuf;
struct pipe;

#define PIPE_SIZE 512

/* A new pipe with both ends open: 0 or -ENOMEM. */
int pipe_alloc(struct pipe **out);

/* Closes one end; the pipe is freed once both are closed. */
void pipe_close(struct pipe *p, bool writing_end);

long pipe_read(struct pipe *p, const struct iobuf *io, size_t n);
long pipe_write(struct pipe *p, const struct iobuf *io, size_t n);

/* Pipes that exist now (tests: every pipe was freed). */
int pipe_count(void);
