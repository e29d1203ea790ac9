/* ctl_completion.c: `waferctl completion bash` prints a bash completion
 * script (source it, or put it in /etc/bash_completion.d/waferctl): the
 * commands and their words, the flags of vm create, context names (from
 * `waferctl context list`), and VM and image names
 * asked from the host with `waferctl vm names` / `image names` (one name a
 * line), passing on the connection options already on the command line. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

static const char bash_script[] =
	"# bash completion for waferctl (waferctl completion bash)\n"
	"_waferctl_names() {   # vm|image|snapshot VM: names from the host, with the options typed so far\n"
	"\tlocal opts=() i w\n"
	"\tfor ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tcase $w in\n"
	"\t\t-H|--host|--cert|--key|--fingerprint|--ca|--config|--context|--timeout) opts+=(\"$w\" \"${COMP_WORDS[i+1]}\"); ((i++));;\n"
	"\t\t--insecure) opts+=(\"$w\");;\n"
	"\t\t-*) ;;\n"
	"\t\t*) break;;\n"
	"\t\tesac\n"
	"\tdone\n"
	"\t\"${COMP_WORDS[0]}\" \"${opts[@]}\" --timeout 5 \"$1\" names \"${@:2}\" 2>/dev/null\n"
	"}\n"
	"_waferctl() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i cmd= sub= n=0\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tcase ${COMP_WORDS[i]} in\n"
	"\t\t-H|--host|--cert|--key|--fingerprint|--ca|--config|--context|--timeout) ((i++)); continue;;\n"
	"\t\t-*) continue;;\n"
	"\t\tesac\n"
	"\t\tif [ -z \"$cmd\" ]; then cmd=${COMP_WORDS[i]}; elif [ -z \"$sub\" ]; then sub=${COMP_WORDS[i]}; else ((n++)); fi\n"
	"\tdone\n"
	"\tcase $prev in\n"
	"\t--cert|--key|--ca|--config|--spec|--kernel|--initrd|--disk) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
	"\t--restart) COMPREPLY=($(compgen -W 'never on-failure always' -- \"$cur\")); return;;\n"
	"\t-H|--host|--fingerprint|--timeout|--vcpus|--memory|--cmdline|--nic|--since|--wait) return;;\n"
	"\t--context) COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]}\" context list 2>/dev/null | awk 'NR > 1 { print ($1 == \"*\" ? $2 : $1) }')\" -- \"$cur\")); return;;\n"
	"\tesac\n"
	"\tif [ -z \"$cmd\" ]; then\n"
	"\t\tCOMPREPLY=($(compgen -W 'host vm snapshot image logs events tasks enroll get delete post pki completion\n"
	"\t\t\tcontext fleet -H --cert --key --fingerprint --ca --insecure --config --context --json --timeout' -- \"$cur\"))\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tcase $cmd in\n"
	"\thost) [ -z \"$sub\" ] && COMPREPLY=($(compgen -W 'stats reboot shutdown update update-status' -- \"$cur\"));;\n"
	"\tlogs) COMPREPLY=($(compgen -W '--follow' -- \"$cur\"));;\n"
	"\tevents) COMPREPLY=($(compgen -W '--follow --since' -- \"$cur\"));;\n"
	"\tcompletion) [ -z \"$sub\" ] && COMPREPLY=($(compgen -W 'bash' -- \"$cur\"));;\n"
	"\tcontext) [ -z \"$sub\" ] && COMPREPLY=($(compgen -W 'list use rm add' -- \"$cur\"));;\n"
	"\tfleet)\n"
	"\t\tif [ -z \"$sub\" ]; then COMPREPLY=($(compgen -W 'status vms place update' -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" = update ]; then COMPREPLY=($(compgen -f -W '--stop-vms --suspend-vms --force --wait' -- \"$cur\")); fi;;\n"
	"\tsnapshot)\n"
	"\t\tif [ -z \"$sub\" ]; then COMPREPLY=($(compgen -W 'list create revert rm clone' -- \"$cur\"))\n"
	"\t\telif [ $n = 0 ]; then COMPREPLY=($(compgen -W \"$(_waferctl_names vm)\" -- \"$cur\"))\n"
	"\t\telif [ $n = 1 ] && [ \"$sub\" != create ]; then\n"
	"\t\t\tCOMPREPLY=($(compgen -W \"$(_waferctl_names snapshot \"$prev\")\" -- \"$cur\")); fi;;\n"
	"\timage)\n"
	"\t\tif [ -z \"$sub\" ]; then COMPREPLY=($(compgen -W 'list upload rm' -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" = rm ] && [ $n = 0 ]; then COMPREPLY=($(compgen -W \"$(_waferctl_names image)\" -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" = upload ] && [ $n = 1 ]; then COMPREPLY=($(compgen -f -- \"$cur\")); fi;;\n"
	"\tvm)\n"
	"\t\tif [ -z \"$sub\" ]; then\n"
	"\t\t\tCOMPREPLY=($(compgen -W 'list show create start stop shutdown reboot pause resume suspend rm console move' -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" = create ]; then\n"
	"\t\t\tCOMPREPLY=($(compgen -W '--vcpus --memory --kernel --initrd --cmdline --disk --nic --restart\n"
	"\t\t\t\t--autostart --start --spec' -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" = console ] && [ $n = 1 ]; then COMPREPLY=($(compgen -W '--follow --interactive' -- \"$cur\"))\n"
	"\t\telif [ \"$sub\" != list ] && [ $n = 0 ]; then COMPREPLY=($(compgen -W \"$(_waferctl_names vm)\" -- \"$cur\")); fi;;\n"
	"\tesac\n"
	"}\n"
	"complete -F _waferctl waferctl\n";

int ctl_cmd_completion(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "bash")) {
		fputs(bash_script, stdout);
		return 0;
	}
	fprintf(stderr, "usage: waferctl completion bash\n");
	return 2;
}

/* `vm names` / `image names`: one name a line (for completion and scripts). */
int ctl_print_names(const char *path, const char *array, bool in_spec)
{
	struct json_doc d;
	if (ctl_call_ok("GET", path, NULL, &d) < 0)
		return 1;
	const struct json_node *a = json_get(json_root(&d), array);
	for (const struct json_node *e = a ? a->child : NULL; e; e = e->next) {
		const struct json_node *o = in_spec ? json_get(e, "spec") : e;
		const char *n = json_get_str(o, "name");
		if (n)
			printf("%s\n", n);
	}
	json_doc_free(&d);
	return 0;
}
