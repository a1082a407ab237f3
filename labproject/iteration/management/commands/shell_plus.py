"""django-extensions' ``shell_plus``, saying in one line when it lets JupyterLab run as root.

The flag itself comes from the settings' ``NOTEBOOK_ARGUMENTS`` (``labproject.lab.root_arguments``);
this app is listed before django-extensions so that Django picks this command.
"""

from django_extensions.management.commands.shell_plus import Command as ShellPlus

from labproject.lab import ROOT_NOTE, as_root


class Command(ShellPlus):
    def run_notebookapp(self, *args, **kwargs):
        if as_root():
            self.stderr.write(ROOT_NOTE)
            if self.extra_args:  # options after ``--`` replace NOTEBOOK_ARGUMENTS: add the flag there too
                cut = self.extra_args.index("--") if "--" in self.extra_args else len(self.extra_args)
                if "--allow-root" not in self.extra_args[:cut]:
                    self.extra_args = [*self.extra_args[:cut], "--allow-root", *self.extra_args[cut:]]
        return super().run_notebookapp(*args, **kwargs)
