package MetricsTest;

# Helpers of the metrics suites: a strict reader of Prometheus' text
# format (exposition 0.0.4) and the differences between two scrapes.
# check() dies naming the line when the text breaks a rule: every family
# has a HELP line and then a TYPE line before its samples, once; names,
# labels and values have Prometheus' syntax; a counter's name ends in
# _total and its values are whole; a histogram's buckets carry le, count
# up to +Inf, and +Inf equals _count; no sample is repeated.
# METRICS_DEBUG=1 prints what moved() returns on stderr.

use strict;
use warnings;

our %Snap;

my $NAME  = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LABEL = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $NUM   = qr/-?[0-9]+(?:\.[0-9]+)?/;

# the samples of a scrape: { 'name{labels}' => value }, and the families
# as "name type" lines in order
sub check {
    my ($text) = @_;
    my (%samples, %families, @order, $help, $family, $type, %buckets);

    die "empty scrape\n" if $text eq '';
    die "no newline at the end\n" unless $text =~ /\n\z/;

    my $n = 0;
    for my $line (split /\n/, $text) {
        $n++;
        my $at = "line $n: $line\n";

        if ($line =~ /^# HELP ($NAME) ([ -~]+)$/) {
            die "HELP repeated: $at" if $families{$1}++;
            die "backslash in HELP: $at" if $2 =~ /\\/;
            ($help, $family, $type) = ($1, undef, undef);
            next;
        }

        if ($line =~ /^# TYPE ($NAME) (counter|gauge|histogram)$/) {
            die "TYPE not after its HELP: $at"
                unless defined $help && $help eq $1 && !defined $family;
            ($family, $type) = ($1, $2);
            die "counter not named _total: $at"
                if $type eq 'counter' && $family !~ /_total$/;
            push @order, "$family $type";
            next;
        }

        die "unexpected line: $at" if $line =~ /^#/ || $line eq '';

        $line =~ /^($NAME)(?:\{(.*)\})? ($NUM)$/ or die "bad sample: $at";
        my ($name, $labels, $value) = ($1, $2 // '', $3);

        die "sample before its TYPE: $at" unless defined $family;

        my %l;
        for my $pair (split /,/, $labels, -1) {
            $pair =~ /^($LABEL)="([^"\\\n]*)"$/ or die "bad label: $at";
            die "label repeated: $at" if exists $l{$1};
            $l{$1} = $2;
        }

        my $key = $name . '{' . join(',', map { "$_=\"$l{$_}\"" }
                                          sort grep { $_ ne 'le' } keys %l)
                  . '}';

        if ($type eq 'histogram') {
            if ($name eq "${family}_bucket") {
                die "bucket without le: $at" unless defined $l{le};
                my $prev = $buckets{$key};
                die "buckets not cumulative: $at"
                    if defined $prev && $value < $prev;
                $buckets{$key} = $value;
                $key =~ s/\}$/,le="$l{le}"}/ if $key ne "${name}{}";
                $key = "${name}{le=\"$l{le}\"}" if $key eq "${name}{}";
                if ($l{le} eq '+Inf') {
                    (my $count = $key) =~ s/_bucket\{/_count{/;
                    $count =~ s/,?le="\+Inf"//;
                    $samples{"+Inf:$count"} = $value;
                }
            } elsif ($name ne "${family}_sum" && $name ne "${family}_count") {
                die "sample of another family: $at";
            }
            if ($name eq "${family}_count") {
                die "_count is not +Inf's bucket: $at"
                    unless ($samples{"+Inf:$key"} // -1) == $value;
            }
        } else {
            die "sample of another family: $at" if $name ne $family;
            die "counter not whole: $at"
                if $type eq 'counter' && $value !~ /^[0-9]+$/;
        }

        die "sample repeated: $at" if exists $samples{$key};
        $samples{$key} = $value;
    }

    delete $samples{$_} for grep { /^\+Inf:/ } keys %samples;

    return (\%samples, \@order);
}

# the scrape's samples, kept under $tag; returns its families
sub snap {
    my ($tag, $text) = @_;
    my ($samples, $order) = check($text);
    $Snap{$tag} = $samples;
    return join('', map { "$_\n" } @$order);
}

# the samples of $re that moved since the scrape kept under $tag, as
# "name{labels} +delta" lines (sorted)
sub moved {
    my ($tag, $text, $re) = @_;
    my ($now) = check($text);
    my $was = $Snap{$tag} or die "no scrape $tag\n";
    my $out = '';
    for my $k (sort keys %$now) {
        next if defined $re && $k !~ $re;
        my $d = $now->{$k} - ($was->{$k} // 0);
        $out .= "$k +$d\n" if $d != 0;
    }
    print STDERR $out if $ENV{METRICS_DEBUG};
    return $out;
}

# one sample's value
sub value {
    my ($text, $key) = @_;
    my ($now) = check($text);
    return $now->{$key};
}

1;
