/* Entry points of memleakbpf's modes; main.c dispatches on the first word.
 * Each returns an exit_code (common.h). */
#ifndef MEMLEAKBPF_MODES_H
#define MEMLEAKBPF_MODES_H

int cmd_user(int argc, char **argv);   /* memleakbpf [-p PID | -c CMD] */
int cmd_shmem(int argc, char **argv);  /* memleakbpf shmem */
int cmd_kernel(int argc, char **argv); /* memleakbpf kernel */
int cmd_oom(int argc, char **argv);    /* memleakbpf oom */
int cmd_why(int argc, char **argv);    /* memleakbpf why */

#endif
