/* Leaves an orphaned SysV shared memory segment of exactly SIZE bytes, all
 * resident: create, attach, write every page, detach, exit without
 * IPC_RMID.  Prints "shmid pid" so the test can check the creator pid and
 * remove the segment with ipcrm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoull(argv[1], NULL, 0) : 32 << 20;
	int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	char *p;

	if (id < 0) {
		perror("shmget");
		return 1;
	}
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		perror("shmat");
		shmctl(id, IPC_RMID, NULL);
		return 1;
	}
	memset(p, 0x5a, size);
	shmdt(p);
	printf("%d %d\n", id, (int)getpid());
	return 0;
}
