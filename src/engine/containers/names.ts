/**
 * Docker's generated names (`adjective_surname`, moby's pkg/namesgenerator): a shorter
 * list of our own, same shape, so scripts that parse names keep working.
 */
const LEFT = ['admiring', 'agitated', 'amazing', 'blissful', 'bold', 'brave', 'busy', 'charming', 'clever', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic', 'elegant', 'epic', 'festive', 'focused', 'friendly', 'funny', 'gallant', 'gifted', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'nice', 'nifty', 'objective', 'optimistic', 'peaceful', 'pensive', 'practical', 'quirky', 'relaxed', 'serene', 'sharp', 'silly', 'stoic', 'sweet', 'tender', 'trusting', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous', 'zen'];
const RIGHT = ['agnesi', 'allen', 'babbage', 'bardeen', 'bell', 'booth', 'borg', 'carson', 'cerf', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'feynman', 'franklin', 'galileo', 'goldberg', 'goodall', 'hamilton', 'hopper', 'hypatia', 'jackson', 'johnson', 'kalam', 'keller', 'knuth', 'lamport', 'liskov', 'lovelace', 'mccarthy', 'meitner', 'mirzakhani', 'morse', 'newton', 'noether', 'pare', 'pasteur', 'perlman', 'pike', 'ramanujan', 'ritchie', 'shannon', 'sinoussi', 'thompson', 'torvalds', 'turing', 'wescoff', 'wilson', 'wozniak', 'yalow'];

export function generateName(taken: (name: string) => boolean, random: () => number = Math.random): string {
  for (let i = 0; ; i++) {
    const name = `${LEFT[Math.floor(random() * LEFT.length)]}_${RIGHT[Math.floor(random() * RIGHT.length)]}${i >= 10 ? Math.floor(random() * 10) : ''}`;
    if (!taken(name)) return name;
  }
}

