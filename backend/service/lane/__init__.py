"""The set-wise lane of offline sync: the common events of a batch applied a run at a time.

A device's batch is mostly bin moves, picks and count records. Applied one at a time through
their handlers, each costs a dozen or more statements; here a run of them costs a fixed
handful: everything the run touches is read (and locked) in a few statements, each event is
decided in memory against that state, and what the accepted events changed is written back in
bulk. Each event is still all or nothing: it works on a draft of the state, merged only when
every rule passed.

The lane never rejects an event. One it cannot take as plainly valid (a broken rule, serials,
a short pick, a count that asks for a recount, anything it does not cover) ends the run; the
batch applies that event through its handler, which decides it and words any rejection, and
then starts a new run after it.
"""
