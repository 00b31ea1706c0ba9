/**
 * The works the chapters cite, by key. `<Cite id="belrose2023" />` links to the entry in the
 * chapter's `<References />` list (`#ref-belrose2023`).
 */
export interface Reference {
  /** Authors as printed in the list. */
  authors: string;
  /** Short form for in-text citations: "Belrose et al.". */
  short: string;
  year: number;
  title: string;
  /** Venue, journal or publisher, as printed. */
  venue?: string;
  url: string;
  /** An arXiv identifier, printed as `arXiv:…`. */
  arxiv?: string;
}

export const bibliography = {
  belrose2023: {
    authors: 'Nora Belrose, Zach Furman, Logan Smith, Danny Halawi, Igor Ostrovsky, Lev McKinney, Stella Biderman, Jacob Steinhardt',
    short: 'Belrose et al.',
    year: 2023,
    title: 'Eliciting Latent Predictions from Transformers with the Tuned Lens',
    url: 'https://arxiv.org/abs/2303.08112',
    arxiv: '2303.08112',
  },
  biderman2023: {
    authors: 'Stella Biderman, Hailey Schoelkopf, Quentin Anthony, Herbie Bradley, Kyle O’Brien, Eric Hallahan, et al.',
    short: 'Biderman et al.',
    year: 2023,
    title: 'Pythia: A Suite for Analyzing Large Language Models Across Training and Scaling',
    venue: 'ICML',
    url: 'https://arxiv.org/abs/2304.01373',
    arxiv: '2304.01373',
  },
  nostalgebraist2020: {
    authors: 'nostalgebraist',
    short: 'nostalgebraist',
    year: 2020,
    title: 'interpreting GPT: the logit lens',
    venue: 'LessWrong',
    url: 'https://www.lesswrong.com/posts/AcKRB8wDpdaN6v6ru/interpreting-gpt-the-logit-lens',
  },
  elhage2021: {
    authors: 'Nelson Elhage, Neel Nanda, Catherine Olsson, Tom Henighan, Nicholas Joseph, et al.',
    short: 'Elhage et al.',
    year: 2021,
    title: 'A Mathematical Framework for Transformer Circuits',
    venue: 'Transformer Circuits Thread',
    url: 'https://transformer-circuits.pub/2021/framework/index.html',
  },
  jastrzebski2018: {
    authors: 'Stanisław Jastrzębski, Devansh Arpit, Nicolas Ballas, Vikas Verma, Tong Che, Yoshua Bengio',
    short: 'Jastrzębski et al.',
    year: 2018,
    title: 'Residual Connections Encourage Iterative Inference',
    venue: 'ICLR',
    url: 'https://arxiv.org/abs/1710.04773',
    arxiv: '1710.04773',
  },
  halawi2023: {
    authors: 'Danny Halawi, Jean-Stanislas Denain, Jacob Steinhardt',
    short: 'Halawi et al.',
    year: 2023,
    title: 'Overthinking the Truth: Understanding how Language Models Process False Demonstrations',
    url: 'https://arxiv.org/abs/2307.09476',
    arxiv: '2307.09476',
  },
  hewitt2019: {
    authors: 'John Hewitt, Percy Liang',
    short: 'Hewitt and Liang',
    year: 2019,
    title: 'Designing and Interpreting Probes with Control Tasks',
    venue: 'EMNLP',
    url: 'https://arxiv.org/abs/1909.03368',
    arxiv: '1909.03368',
  },
  elazar2021: {
    authors: 'Yanai Elazar, Shauli Ravfogel, Alon Jacovi, Yoav Goldberg',
    short: 'Elazar et al.',
    year: 2021,
    title: 'Amnesic Probing: Behavioral Explanation with Amnesic Counterfactuals',
    venue: 'TACL',
    url: 'https://arxiv.org/abs/2006.00995',
    arxiv: '2006.00995',
  },
  baldock2021: {
    authors: 'Robert J. N. Baldock, Hartmut Maennel, Behnam Neyshabur',
    short: 'Baldock et al.',
    year: 2021,
    title: 'Deep Learning Through the Lens of Example Difficulty',
    venue: 'NeurIPS',
    url: 'https://arxiv.org/abs/2106.09647',
    arxiv: '2106.09647',
  },
  timkey2021: {
    authors: 'William Timkey, Marten van Schijndel',
    short: 'Timkey and van Schijndel',
    year: 2021,
    title: 'All Bark and No Bite: Rogue Dimensions in Transformer Language Models Obscure Representational Quality',
    venue: 'EMNLP',
    url: 'https://arxiv.org/abs/2109.04404',
    arxiv: '2109.04404',
  },
} satisfies Record<string, Reference>;

export type ReferenceKey = keyof typeof bibliography;

export function reference(key: string): Reference {
  const ref = (bibliography as Record<string, Reference>)[key];
  if (!ref) {
    throw new Error(`Unknown citation key '${key}'. Known keys: ${Object.keys(bibliography).join(', ')} — add it to src/components/bibliography.ts.`);
  }
  return ref;
}
