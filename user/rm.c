/* rm NAME...: removes each name (a directory only when it is empty). */
#include "user.h"

int main(int argc, char *argv[])
{
	if (argc < 2) {
		fprintf(2, "usage: rm NAME...\n");
		return 1;
	}
	int status = 0;
	for (int i = 1; i < argc; i++) {
		if (unlink(argv[i]) < 0) {
			fprintf(2, "rm: %s: cannot remove\n", argv[i]);
			status = 1;
		}
	}
	return status;
}
