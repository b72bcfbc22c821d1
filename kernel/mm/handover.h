/*
 * The handover (lab 5): the page allocator (kernel/mm/pages.h) and the kernel heap
 * (kmalloc, kernel/mm/kmalloc.h) take over memory from the boot allocator, which is
 * sealed; the thread table becomes dynamic; the kernel enters the production phase.
 */
#pragma once

/*
 * Boot hart, once, in the scheduler phase (every hart runs, locks and threads work):
 * the boot step after lab 4's. Ends in the production phase.
 */
void handover(void);
