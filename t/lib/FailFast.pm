package FailFast;

# Ends a test file at its first failing assertion (prove -MFailFast).
#
# tools/mutate.sh judges a breakage by whether its suites fail at all, not
# by how much: the rest of a suite after its first failure is time spent
# for nothing (half of the mutation section's, measured).  The exit comes
# at the next assertion after the failing one, so that the failure's own
# diagnostics (Test::More's "got"/"expected", printed after ok() returns)
# are still shown; a failure in a TODO block does not count.  exit() runs
# the END blocks: the runner's stops its nginx, RedisTest's its server;
# whatever a suite leaves running otherwise is for the caller to reap
# (tools/mutate.sh runs each breakage's suites in a PID namespace of
# their own where it can).

use strict;
use warnings;

use Test::Builder ();

my $failed;
my $ok = \&Test::Builder::ok;

{
    no warnings 'redefine';

    *Test::Builder::ok = sub {
        my ($tb) = @_;

        if ($failed) {
            $tb->diag('FailFast: stopping at the first failure (test '
                      . $failed . ')');
            exit 1;
        }

        my $r = $ok->(@_);

        $failed = $tb->current_test if !$r && !$tb->in_todo;

        return $r;
    };
}

1;
