// A booking code read aloud over the phone: in groups of four ("K-7-M-4 · P-2-H-9") and each character as a
// word nobody mishears (Spanish spelling words, or the NATO alphabet in English). Codes use only 2-9 and the
// letters that cannot be taken for another (resolvers/booking/codes.py), all of them named here.

const WORDS = {
  es: {
    A: "A de Argentina",
    B: "B de Bolivia",
    C: "C de Chile",
    D: "D de dedo",
    E: "E de Ecuador",
    F: "F de foca",
    G: "G de gato",
    H: "H de helado",
    J: "J de jirafa",
    K: "K de kilo",
    M: "M de mamá",
    N: "N de nube",
    P: "P de papá",
    Q: "Q de queso",
    R: "R de ratón",
    S: "S de sol",
    T: "T de taza",
    U: "U de uva",
    V: "V de vaca",
    W: "W de Washington",
    X: "X de xilofón",
    Y: "Y de yate",
    Z: "Z de zapato",
    2: "dos",
    3: "tres",
    4: "cuatro",
    5: "cinco",
    6: "seis",
    7: "siete",
    8: "ocho",
    9: "nueve",
  },
  en: {
    A: "Alfa",
    B: "Bravo",
    C: "Charlie",
    D: "Delta",
    E: "Echo",
    F: "Foxtrot",
    G: "Golf",
    H: "Hotel",
    J: "Juliett",
    K: "Kilo",
    M: "Mike",
    N: "November",
    P: "Papa",
    Q: "Quebec",
    R: "Romeo",
    S: "Sierra",
    T: "Tango",
    U: "Uniform",
    V: "Victor",
    W: "Whiskey",
    X: "X-ray",
    Y: "Yankee",
    Z: "Zulu",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
  },
};

function groups(code) {
  return code.match(/.{1,4}/g) || [];
}

// "K-7-M-4 · P-2-H-9"
export function spelled(code) {
  return groups(code)
    .map((group) => [...group].join("-"))
    .join(" · ");
}

// "K de kilo, siete, M de mamá, cuatro / P de papá, …": what the operator reads, group by group
export function spoken(code, lang) {
  const words = WORDS[lang] || WORDS.es;
  return groups(code)
    .map((group) => [...group].map((character) => words[character] || character).join(", "))
    .join(" / ");
}
