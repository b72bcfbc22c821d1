/* true: exits with status 0. The smallest program there is; bench execs it. */
#include "user.h"

int main(void)
{
	return 0;
}
